namespace DistillDiff.Data.Metrics;

using DistillDiff.Engine;

/// <summary>
/// Kernel Inception Distance (Bińkowski et al. 2018, "Demystifying MMD GANs", §4): the unbiased estimator of the
/// squared MMD between two feature sets under the cubic polynomial kernel k(x, y) = (xᵀy / D + 1)³,
/// <code>MMD²ᵤ = (1/(m(m-1))) Σ_{i≠i'} k(aᵢ, aᵢ') + (1/(n(n-1))) Σ_{j≠j'} k(bⱼ, bⱼ') - (2/(mn)) Σᵢⱼ k(aᵢ, bⱼ).</code>
/// Unlike the Fréchet distance it has no bias that depends on the sample count, so it may come out slightly
/// negative for sets from one distribution; it is reported as computed (not clipped), over the whole sets.
/// Features: any [N, D] set (in this project, the Fashion-MNIST classifier's features). O((m + n)² D).
/// </summary>
public static class KernelInceptionDistance
{
    public static double Compute(Tensor a, Tensor b)
    {
        using var scope = Torch.NewDisposeScope();
        var (fa, fb) = MetricInputs.Pair(a, b);
        long m = fa.Size(0), n = fb.Size(0);
        if (m < 2 || n < 2) throw new ArgumentException($"KID needs at least 2 samples in each set, got {m} and {n}");
        var dim = (double)fa.Size(1);
        Tensor Kernel(Tensor x, Tensor y) => (x.MatMul(y.T) / dim + 1).Pow(3);
        static double Diagonal(Tensor x, double d) => ((x.Square().Sum([1]) / d) + 1).Pow(3).Sum().Item();
        var aa = PairwiseKernel.Sum(fa, fa, Kernel) - Diagonal(fa, dim);
        var bb = PairwiseKernel.Sum(fb, fb, Kernel) - Diagonal(fb, dim);
        var ab = PairwiseKernel.Sum(fa, fb, Kernel);
        return aa / (m * (m - 1.0)) + bb / (n * (n - 1.0)) - 2 * ab / ((double)m * n);
    }
}
