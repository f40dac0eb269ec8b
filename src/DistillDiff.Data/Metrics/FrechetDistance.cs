namespace DistillDiff.Data.Metrics;

using DistillDiff.Engine;

/// <summary>
/// Fréchet (2-Wasserstein) distance between Gaussians fitted to two feature sets, the quantity FID reports
/// (Heusel et al. 2017; closed form from Dowson &amp; Landau 1982):
/// <code>d² = ‖μ₁ - μ₂‖² + tr Σ₁ + tr Σ₂ - 2 tr (Σ₁^½ Σ₂ Σ₁^½)^½</code>
/// with μ the mean and Σ the unbiased (N - 1) covariance. tr (Σ₁Σ₂)^½ is taken through the symmetric form
/// Σ₁^½ Σ₂ Σ₁^½, which has the same eigenvalues and is positive semi-definite, so both square roots come from the
/// double-precision Jacobi solver (<see cref="SymmetricEigen"/>). Returns d² (as FID does), clipped at 0 against
/// rounding. Meant for low-dimensional features (D ≤ <see cref="SymmetricEigen.MaxSize"/>, e.g.
/// <see cref="ImageFeatures.Pooled"/>); use N well above D or the covariance is rank-deficient and the value biased.
/// </summary>
public static class FrechetDistance
{
    /// <summary>d² between Gaussians fitted to <paramref name="featsA"/> [N_a, D] and <paramref name="featsB"/> [N_b, D] (N ≥ 2).</summary>
    public static double Compute(Tensor featsA, Tensor featsB)
    {
        var (meanA, covA) = Fit(featsA, nameof(featsA));
        var (meanB, covB) = Fit(featsB, nameof(featsB));
        if (meanA.Length != meanB.Length)
            throw new ArgumentException($"feature sizes differ: {meanA.Length} and {meanB.Length}", nameof(featsB));
        return Compute(meanA, covA, meanB, covB);
    }

    /// <summary>d² between N(<paramref name="mean1"/>, <paramref name="cov1"/>) and N(<paramref name="mean2"/>, <paramref name="cov2"/>).</summary>
    public static double Compute(double[] mean1, double[,] cov1, double[] mean2, double[,] cov2)
    {
        ArgumentNullException.ThrowIfNull(mean1);
        ArgumentNullException.ThrowIfNull(mean2);
        ArgumentNullException.ThrowIfNull(cov1);
        ArgumentNullException.ThrowIfNull(cov2);
        var d = mean1.Length;
        if (mean2.Length != d || cov1.GetLength(0) != d || cov1.GetLength(1) != d || cov2.GetLength(0) != d || cov2.GetLength(1) != d)
            throw new ArgumentException(
                $"shapes disagree: means {mean1.Length} and {mean2.Length}, covariances {cov1.GetLength(0)}x{cov1.GetLength(1)} and {cov2.GetLength(0)}x{cov2.GetLength(1)}");

        var meanTerm = 0.0;
        var traces = 0.0;
        for (var i = 0; i < d; i++)
        {
            meanTerm += (mean1[i] - mean2[i]) * (mean1[i] - mean2[i]);
            traces += cov1[i, i] + cov2[i, i];
        }

        var root1 = SymmetricEigen.Sqrt(cov1);
        var product = Multiply(Multiply(root1, cov2), root1);
        for (var i = 0; i < d; i++) // symmetrise away the rounding asymmetry of the products
            for (var j = i + 1; j < d; j++)
                product[i, j] = product[j, i] = 0.5 * (product[i, j] + product[j, i]);
        var (eigenvalues, _) = SymmetricEigen.Decompose(product);
        var traceRoot = eigenvalues.Sum(l => Math.Sqrt(Math.Max(l, 0)));
        return Math.Max(0, meanTerm + traces - 2 * traceRoot);
    }

    /// <summary>Mean and unbiased covariance of [N, D] features (any float dtype or device), in double.</summary>
    public static (double[] Mean, double[,] Covariance) Fit(Tensor feats, string name = "feats")
    {
        using var scope = Torch.NewDisposeScope();
        var x = MetricInputs.Flatten(feats, name, feats.Device);
        var n = x.Size(0);
        var dim = x.Size(1);
        if (n < 2) throw new ArgumentException($"{name} needs at least 2 samples for a covariance, got {n}", name);
        if (dim > SymmetricEigen.MaxSize)
            throw new ArgumentException(
                $"{name} has {dim} features; the Fréchet distance takes at most {SymmetricEigen.MaxSize} (pool images with ImageFeatures.Pooled)", name);
        var mean = x.Mean([0], keepDim: true);
        var centred = x - mean;
        var cov = centred.T.MatMul(centred) / (n - 1);
        var flat = cov.ToArray<double>();
        var covariance = new double[dim, dim];
        Buffer.BlockCopy(flat, 0, covariance, 0, flat.Length * sizeof(double));
        return (mean.ToArray<double>(), covariance);
    }

    private static double[,] Multiply(double[,] x, double[,] y)
    {
        var n = x.GetLength(0);
        var m = y.GetLength(1);
        var inner = x.GetLength(1);
        var r = new double[n, m];
        for (var i = 0; i < n; i++)
            for (var k = 0; k < inner; k++)
            {
                var xik = x[i, k];
                for (var j = 0; j < m; j++) r[i, j] += xik * y[k, j];
            }
        return r;
    }
}
