namespace DistillDiff.Training.Classifier;

using DistillDiff.Recipes;

/// <summary>The `classifier:` section of recipes/fmnist-classifier.yaml: the feature network and its training.</summary>
public sealed record ClassifierTrainConfig
{
    /// <summary>Widths of the three conv layers, then the feature size of the metrics.</summary>
    public int[] Channels { get; init; } = [32, 64, 64, 128];
    [Positive] public int Epochs { get; init; } = 3;
    [Positive] public int BatchSize { get; init; } = 128;
    [Positive] public double Lr { get; init; } = 2e-3;
    public double WeightDecay { get; init; } = 1e-4;
    /// <summary>Training images used (the first ones in file order); 0 = all 60,000. For quick tests.</summary>
    public int TrainLimit { get; init; }
}
