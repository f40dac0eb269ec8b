namespace DistillDiff.Data.Metrics;

using DistillDiff.Engine;

/// <summary>
/// Improved precision and recall (Kynkäänniemi et al. 2019, §2): each set's manifold is the union of closed
/// balls around its points, of radius the distance to the point's k-th nearest neighbour in the same set
/// (k = 3 in the paper). Precision is the fraction of generated samples inside the real manifold (are samples
/// realistic?); recall the fraction of real samples inside the generated manifold (is the data covered?). Both
/// in [0, 1], higher is better. O(N² D) with N × N neighbour sorts in row blocks.
/// </summary>
public static class PrecisionRecall
{
    public const int DefaultK = 3;

    public static (double Precision, double Recall) Compute(Tensor real, Tensor generated, int k = DefaultK)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        using var scope = Torch.NewDisposeScope();
        var (r, g) = MetricInputs.Pair(real, generated, nameof(real), nameof(generated));
        var realRadii = PairwiseKernel.KthNeighbourRadii(r, k);
        var generatedRadii = PairwiseKernel.KthNeighbourRadii(g, k);
        return (PairwiseKernel.FractionCovered(g, r, realRadii), PairwiseKernel.FractionCovered(r, g, generatedRadii));
    }
}
