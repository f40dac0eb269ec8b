namespace DistillDiff.Training.Evaluation;

using DistillDiff.Engine;
using DistillDiff.Models.Classifier;

/// <summary>
/// Features of the pinned Fashion-MNIST classifier (<see cref="ClassifierWeights"/>), the space the image metrics
/// (fd, kid, precision, recall) are measured in. Runs on the CPU in batches, without gradients.
/// </summary>
public sealed class ClassifierFeatures : IDisposable
{
    private const int Batch = 500;
    private readonly FashionMnistClassifier _model;

    public ClassifierFeatures(string? weightsPath = null) => _model = ClassifierWeights.Load(weightsPath, Device.CPU);

    /// <summary>What a reader needs next to a number: which weights made the features.</summary>
    public static string Description => $"fmnist-classifier sha256:{ClassifierWeights.Sha256[..12]}";

    /// <summary>[N, 1, 28, 28] images in [-1, 1] → [N, FeatureSize] float32 on the CPU.</summary>
    public Tensor Extract(Tensor images)
    {
        using var noGrad = Torch.NoGrad();
        using var scope = Torch.NewDisposeScope();
        var x = images.Float().Cpu();
        var parts = new List<Tensor>();
        for (long start = 0; start < x.Size(0); start += Batch)
            parts.Add(_model.Features(x.Narrow(0, start, Math.Min(Batch, x.Size(0) - start))));
        return scope.MoveOut(Torch.Cat(parts));
    }

    public void Dispose() => _model.Dispose();
}
