namespace DistillDiff.Training.Config;

using DistillDiff.Recipes;

/// <summary>
/// The `eval:` section: the step-count curve (sample quality against number of sampling steps) measured for the
/// teacher with DDIM and for every student at its own step count, plus sample grids.
/// </summary>
public sealed record EvalConfig
{
    /// <summary>Step counts at which the teacher is evaluated with DDIM (students are evaluated at their own N).</summary>
    [Range(1, 10000)] public int[] Steps { get; init; } = [1, 2, 4, 8, 16, 32, 64];
    /// <summary>Samples per evaluation, drawn as one batch.</summary>
    [Range(1, 100000)] public int NumSamples { get; init; } = 2000;
    /// <summary>Random projections of the sliced Wasserstein distance.</summary>
    [Range(1, 100000)] public int Projections { get; init; } = 256;
    [Range(0, 256)] public int GridSamples { get; init; } = 64;
    public ulong Seed { get; init; } = 1234;
}
