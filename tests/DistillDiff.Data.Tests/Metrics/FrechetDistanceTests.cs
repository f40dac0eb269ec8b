namespace DistillDiff.Data.Tests.Metrics;

using DistillDiff.Data.Metrics;
using DistillDiff.Engine;

public class FrechetDistanceTests
{
    [Fact]
    public void DiagonalCovariancesMatchTheClosedForm()
    {
        // ‖μ₁ - μ₂‖² + Σ (s₁ + s₂ - 2√(s₁s₂)) = (1 + 4) + (1 + 4 - 4) + (9 + 1 - 6) + (2 + 2 - 4) = 10.
        double[] m1 = [0, 0, 0], m2 = [1, 2, 0];
        var c1 = new double[,] { { 1, 0, 0 }, { 0, 9, 0 }, { 0, 0, 2 } };
        var c2 = new double[,] { { 4, 0, 0 }, { 0, 1, 0 }, { 0, 0, 2 } };
        Assert.Equal(10, FrechetDistance.Compute(m1, c1, m2, c2), 12);
    }

    [Fact]
    public void NonCommutingCovariancesMatchA2x2ClosedForm()
    {
        // For 2x2 SPD matrices tr √(Σ₁Σ₂) = √(tr(Σ₁Σ₂) + 2√(det Σ₁ det Σ₂)) (from √M's trace for 2x2 M).
        var c1 = new double[,] { { 2, 1 }, { 1, 2 } };
        var c2 = new double[,] { { 1, 0 }, { 0, 3 } };
        // Σ₁Σ₂ = [[2, 3], [1, 6]]: trace 8; det Σ₁ = det Σ₂ = 3.
        var expectedRootTrace = Math.Sqrt(8 + 2 * Math.Sqrt(3.0 * 3.0));
        var expected = 1 + (4 + 4) - 2 * expectedRootTrace;
        Assert.Equal(expected, FrechetDistance.Compute([0, 0], c1, [1, 0], c2), 12);
    }

    [Fact]
    public void SameGaussianIsZeroAndSameCovarianceLeavesTheMeanTerm()
    {
        var c = new double[,] { { 3, 1 }, { 1, 2 } };
        Assert.Equal(0, FrechetDistance.Compute([1, 1], c, [1, 1], c), 12);
        Assert.Equal(25, FrechetDistance.Compute([0, 0], c, [3, 4], c), 10);
    }

    [Fact]
    public void FitsMeansAndUnbiasedCovariances()
    {
        using var scope = Torch.NewDisposeScope();
        // Samples (0,0), (2,0), (0,2), (2,2): mean (1,1), unbiased covariance (4/3) I.
        var x = Torch.FromArray(new float[] { 0, 0, 2, 0, 0, 2, 2, 2 }, 4, 2);
        var (mean, cov) = FrechetDistance.Fit(x);
        Assert.Equal(new double[] { 1, 1 }, mean);
        Assert.Equal(4.0 / 3, cov[0, 0], 14);
        Assert.Equal(0, cov[0, 1], 14);
        Assert.Equal(4.0 / 3, cov[1, 1], 14);
    }

    [Fact]
    public void SampleEstimateApproachesTheClosedForm()
    {
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(11);
        // N((0,0), I) vs N((1,0), diag(4, 1)): 1 + (1 + 4 - 4) + 0 = 2.
        var a = Torch.Randn([20_000, 2], gen);
        var b = Torch.Randn([20_000, 2], gen) * Torch.FromArray(new float[] { 2, 1 }) + Torch.FromArray(new float[] { 1, 0 });
        Assert.Equal(2, FrechetDistance.Compute(a, b), 1);
        Assert.Equal(0, FrechetDistance.Compute(a, a), 9);
    }

    [Fact]
    public void RejectsTooFewSamplesAndMismatchedFeatures()
    {
        using var scope = Torch.NewDisposeScope();
        Assert.Throws<ArgumentException>(() => FrechetDistance.Compute(Torch.Zeros(1, 3), Torch.Zeros(5, 3)));
        Assert.Throws<ArgumentException>(() => FrechetDistance.Compute(Torch.Zeros(4, 3), Torch.Zeros(5, 2)));
        var e = Assert.Throws<ArgumentException>(() => FrechetDistance.Compute(Torch.Zeros(4, 28 * 28), Torch.Zeros(4, 28 * 28)));
        Assert.Contains("ImageFeatures.Pooled", e.Message);
    }
}
