namespace DistillDiff.Training.Evaluation;

/// <summary>One point of a step-count curve: a model sampled with a sampler in some number of steps, and its metrics.</summary>
public sealed record StepCurvePoint(string Model, string Sampler, int Steps, Dictionary<string, double> Metrics);
