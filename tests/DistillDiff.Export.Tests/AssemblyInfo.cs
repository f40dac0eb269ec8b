// Tests seed libtorch's global generator (Torch.ManualSeed) before building networks: run them one at a time so
// one test's draws never interleave with another's.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
