namespace DistillDiff.Data.Tests.Metrics;

using DistillDiff.Data.Metrics;
using DistillDiff.Engine;

public class SlicedWassersteinTests
{
    [Fact]
    public void PointMassesInOneDimensionAreTheirDistanceApart()
    {
        // In 1-d every direction is ±1, so SW₂ = W₂ = |p - q| exactly.
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(0);
        var a = Torch.Full([5, 1], 3.0);
        var b = Torch.Full([7, 1], -1.5);
        Assert.Equal(4.5, SlicedWasserstein.Distance(a, b, 16, gen), 12);
    }

    [Fact]
    public void PointMassesInTwoDimensionsAverageOverDirections()
    {
        // E_θ (θᵀd)² = ‖d‖²/D for θ uniform on the sphere, so SW₂ = ‖d‖/√D: here 5/√2.
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(1);
        var a = Torch.Zeros([4, 2], DType.Float32);
        var b = Torch.FromArray(new float[] { 3, 4 }, 1, 2).Expand(4, 2);
        Assert.Equal(5 / Math.Sqrt(2), SlicedWasserstein.Distance(a, b, 20_000, gen), 1);
    }

    [Fact]
    public void GaussiansWithKnownMeansAndCovariancesMatchTheClosedForm()
    {
        // a ~ N(0, I), b ~ N(Δ, 4I) in D = 2, Δ = (1, 0). Along θ the projections are N(0, 1) and N(θᵀΔ, 4), and the
        // 1-d W₂² between Gaussians is (m₁ - m₂)² + (s₁ - s₂)² = (θᵀΔ)² + 1. Averaged over the circle,
        // E (θᵀΔ)² = ‖Δ‖²/2, so SW₂² = 1/2 + 1 = 1.5.
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(21);
        var a = Torch.Randn([5000, 2], gen);
        var b = Torch.Randn([5000, 2], gen) * 2 + Torch.FromArray(new float[] { 1, 0 });
        var sw = SlicedWasserstein.Distance(a, b, 500, gen);
        Assert.InRange(sw * sw, 1.45, 1.55);
    }

    [Fact]
    public void DifferentSizesUseExactQuantileFunctions()
    {
        // F_a⁻¹ = 0 on [0, 1/2), 1 on [1/2, 1); F_b⁻¹ = 0, 1/2, 1 on thirds. They differ by 1/2 on [1/3, 2/3):
        // W₂² = (1/3)(1/2)² = 1/12.
        Assert.Equal(1.0 / 12, SlicedWasserstein.QuantileW2Squared([0.0, 1.0], [0.0, 0.5, 1.0]), 15);
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(2);
        var a = Torch.FromArray(new double[] { 1, 0 });          // [N] is treated as N one-d samples
        var b = Torch.FromArray(new double[] { 0.5, 1, 0 }, 3, 1);
        Assert.Equal(Math.Sqrt(1.0 / 12), SlicedWasserstein.Distance(a, b, 4, gen), 12);
    }

    [Fact]
    public void EqualSizesReduceToSortedDifferences()
    {
        // {0, 1, 5} vs {2, 2, 2}: sorted differences -2, -1, 3 → W₂² = (4 + 1 + 9)/3.
        Assert.Equal(14.0 / 3, SlicedWasserstein.QuantileW2Squared([0.0, 1.0, 5.0], [2.0, 2.0, 2.0]), 14);
    }

    [Fact]
    public void IdenticalSetsAreZeroApartAndTheSeedFixesTheValue()
    {
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(3);
        var x = Torch.Randn([200, 5], gen);
        var y = Torch.Randn([200, 5], gen);
        Assert.Equal(0, SlicedWasserstein.Distance(x, x.Flip(0), 64, gen));
        using var g1 = new Generator(10);
        using var g2 = new Generator(10);
        Assert.Equal(SlicedWasserstein.Distance(x, y, 64, g1), SlicedWasserstein.Distance(x, y, 64, g2));
    }

    [Fact]
    public void RejectsMismatchedShapes()
    {
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(0);
        var e = Assert.Throws<ArgumentException>(() => SlicedWasserstein.Distance(Torch.Zeros(3, 2), Torch.Zeros(3, 4), 8, gen));
        Assert.Contains("differ in sample size", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => SlicedWasserstein.Distance(Torch.Zeros(3, 2), Torch.Zeros(3, 2), 0, gen));
    }
}
