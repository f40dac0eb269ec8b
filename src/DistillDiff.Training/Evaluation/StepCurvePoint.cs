namespace DistillDiff.Training.Evaluation;

using System.Text.Json.Serialization;

/// <summary>
/// One point of a step-count curve: a model sampled with a sampler in some number of steps, and its metrics. Points of
/// one <see cref="Series"/> (e.g. the progressive students, each at its own step count) are drawn as one curve.
/// </summary>
public sealed record StepCurvePoint(string Model, string Sampler, int Steps, Dictionary<string, double> Metrics)
{
    /// <summary>The curve this point belongs to; null: its own, "model (sampler)".</summary>
    public string? Series { get; init; }

    [JsonIgnore]
    public string SeriesName => Series ?? $"{Model} ({Sampler})";
}
