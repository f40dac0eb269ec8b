namespace DistillDiff.Training.Classifier;

/// <summary>What a classifier training wrote and measured.</summary>
public sealed record ClassifierResult(string Weights, string Sha256, double TestAccuracy, int TestImages, double TrainSeconds, long Parameters);
