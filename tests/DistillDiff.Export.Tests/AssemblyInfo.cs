// Tests seed libtorch's global generator (Torch.ManualSeed) before building networks: run them one at a time so
// one test's draws never interleave with another's.
[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]
