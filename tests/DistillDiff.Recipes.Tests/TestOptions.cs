namespace DistillDiff.Recipes.Tests;

// Option records shaped like the ones DistillDiff's layers bind; internal so several can share this file.

internal enum Weighting { Uniform, SnrTrunc, TruncatedSnr }

internal enum Target { Epsilon, V, X0 }

internal sealed record TrainOptions
{
    [Positive]
    public int BatchSize { get; init; } = 128;

    [Range(0, 1)]
    public double Lr { get; init; } = 1e-3;

    public long Steps { get; init; } = 1000;

    public float EmaDecay { get; init; } = 0.999f;

    public bool Amp { get; init; }

    public string? RunName { get; init; }
}

internal sealed record ModelOptions
{
    public required string Type { get; init; }

    [Positive]
    public int[] Channels { get; init; } = [64];

    public List<string> Blocks { get; init; } = [];

    public double? Dropout { get; init; }

    public Dictionary<string, int> Heads { get; init; } = [];
}

/// <summary>Positional: parameters without defaults are required.</summary>
internal sealed record DistillOptions(Target Target, Weighting Weighting = Weighting.Uniform, int NumTrainTimesteps = 1000, double? Lr = null);

internal sealed record StageOptions(string Name, int Steps);

internal sealed record ScheduleOptions
{
    public IReadOnlyList<StageOptions> Stages { get; init; } = [];

    public ushort Seed { get; init; }
}

internal sealed record ExperimentOptions
{
    public required ModelOptions Model { get; init; }

    public TrainOptions Train { get; init; } = new();

    public DistillOptions? Distill { get; init; }
}

/// <summary>A registry component's options: <c>model.type</c> picks it but it has no Type member of its own.</summary>
internal sealed record UNetOptions(int[] Channels, int AttentionResolution = 16);

/// <summary>Checks its own arguments the way a record may when a rule spans several keys.</summary>
internal sealed record BetaRange
{
    public BetaRange(double start, double end)
    {
        if (start >= end)
            throw new ArgumentException(FormattableString.Invariant($"start ({start}) must be below end ({end})"));
        (Start, End) = (start, end);
    }

    public double Start { get; }

    public double End { get; }
}
