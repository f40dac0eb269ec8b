// Test classes run one at a time: in-process training seeds libtorch's one default generator (Torch.ManualSeed, as
// TrainingJob does), so a class drawing from it in parallel changed another's initial weights and made run-vs-run
// comparisons (PrecisionTests) flaky.
[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]
