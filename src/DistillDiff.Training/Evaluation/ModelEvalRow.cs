namespace DistillDiff.Training.Evaluation;

/// <summary>One line of `distilldiff eval`'s results: a model sampled with a sampler in some number of steps.</summary>
public sealed record ModelEvalRow(string Model, string Sampler, int Steps, string Reference, int NumSamples, string Device,
    SortedDictionary<string, double> Metrics);
