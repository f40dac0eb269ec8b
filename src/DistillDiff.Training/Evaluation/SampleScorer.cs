namespace DistillDiff.Training.Evaluation;

using DistillDiff.Data.Metrics;
using DistillDiff.Engine;

/// <summary>
/// Scores sample sets against one fixed reference set (all lower is better unless noted):
/// images: "fd", "kid" (unbiased, ×1000 is the usual way to print it but it is stored as is), "precision" and
/// "recall" (higher is better; k = 3) in the feature space of the pinned Fashion-MNIST classifier, plus the pixel
/// second opinion "fd_pool7" and "swd_pool7" (7×7 average-pooled pixels); 2-D data: "swd" (sliced Wasserstein-2),
/// "energy" (energy distance) and "mmd" (unbiased MMD², Gaussian kernels at 0.1, 0.3, 1, 3).
/// </summary>
public sealed class SampleScorer : IDisposable
{
    private const int EnergySubset = 1000; // energy and MMD are O(N²): a 1,000-point subset keeps them cheap and stable
    private readonly Tensor _reference;
    private readonly Tensor _referencePooled;
    private readonly Tensor? _referenceFeatures;
    private readonly ClassifierFeatures? _classifier;
    private readonly int _projections;
    private readonly ulong _seed;

    /// <param name="reference">The reference samples ([N, C, H, W] images or [N, D] points), on any device.</param>
    /// <param name="classifier">Feature network for images (not owned); null leaves out the classifier metrics.</param>
    public SampleScorer(Tensor reference, ClassifierFeatures? classifier, int projections, ulong seed)
    {
        using var scope = Torch.NewDisposeScope();
        IsImage = reference.Dim == 4;
        _reference = DisposeScope.Detach(reference.Float().Cpu().Contiguous());
        _referencePooled = DisposeScope.Detach(IsImage ? ImageFeatures.Pooled(_reference) : _reference.Flatten(1));
        _classifier = IsImage ? classifier : null;
        _referenceFeatures = _classifier is null ? null : DisposeScope.Detach(_classifier.Extract(_reference));
        (_projections, _seed) = (projections, seed);
    }

    public bool IsImage { get; }

    public long ReferenceCount => _reference.Size(0);

    /// <summary>The headline metric: classifier-feature FD for images (pixel FD without a classifier), SW₂ for 2-D.</summary>
    public string PrimaryMetric => IsImage ? (_classifier is null ? "fd_pool7" : "fd") : "swd";

    /// <summary>Features of <paramref name="images"/> in the classifier space (null for 2-D data or without a classifier).</summary>
    public Tensor? Features(Tensor images) => _classifier?.Extract(images);

    public Dictionary<string, double> Score(Tensor samples)
    {
        using var scope = Torch.NewDisposeScope();
        var x = samples.Float().Cpu();
        using var gen = new Generator(_seed + 1);
        var result = new Dictionary<string, double>();
        if (IsImage)
        {
            if (_classifier is not null)
            {
                var feats = _classifier.Extract(x);
                result["fd"] = FrechetDistance.Compute(feats, _referenceFeatures!);
                result["kid"] = KernelInceptionDistance.Compute(feats, _referenceFeatures!);
                var (precision, recall) = PrecisionRecall.Compute(_referenceFeatures!, feats);
                result["precision"] = precision;
                result["recall"] = recall;
            }
            var pooled = ImageFeatures.Pooled(x);
            result["fd_pool7"] = FrechetDistance.Compute(pooled, _referencePooled);
            result["swd_pool7"] = SlicedWasserstein.Distance(pooled, _referencePooled, _projections, gen);
        }
        else
        {
            var flat = x.Flatten(1);
            result["swd"] = SlicedWasserstein.Distance(flat, _reference, _projections, gen);
            result["energy"] = EnergyDistance.Compute(Subset(flat), Subset(_reference));
            result["mmd"] = MaximumMeanDiscrepancy.Compute(Subset(flat), Subset(_reference));
        }
        return result;
    }

    private static Tensor Subset(Tensor t) => t.Size(0) > EnergySubset ? t.Narrow(0, 0, EnergySubset) : t.Alias();

    public void Dispose()
    {
        _reference.Dispose();
        _referencePooled.Dispose();
        _referenceFeatures?.Dispose();
    }
}
