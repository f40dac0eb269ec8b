namespace DistillDiff.Data.Tests.Metrics;

using DistillDiff.Data.Metrics;
using DistillDiff.Engine;

public class MaximumMeanDiscrepancyTests
{
    [Fact]
    public void TinyCaseMatchesTheHandValue()
    {
        // σ = 1, a = {0, 1}, b = {0, 2}: aa = e^{-1/2}, bb = e^{-2}, ab = (1 + e^{-2} + 2e^{-1/2})/4 (times 2),
        // so MMD²ᵤ = e^{-1/2} + e^{-2} - (1 + e^{-2} + 2e^{-1/2})/2 = e^{-2}/2 - 1/2 (negative: unbiased).
        using var scope = Torch.NewDisposeScope();
        var a = Torch.FromArray(new double[] { 0, 1 });
        var b = Torch.FromArray(new double[] { 0, 2 });
        Assert.Equal(Math.Exp(-2) / 2 - 0.5, MaximumMeanDiscrepancy.Compute(a, b, [1.0]), 12);
    }

    [Fact]
    public void GaussiansMatchTheClosedForm()
    {
        // x ~ N(μ₁, s²I), y ~ N(μ₂, s²I) in D dims: E exp(-‖x - y‖²/(2σ²)) = c·exp(-‖Δ‖²/(2(σ² + 2s²))) with
        // c = (σ²/(σ² + 2s²))^{D/2}, and the within-set terms are c. So MMD² = 2c(1 - exp(-‖Δ‖²/(2(σ² + 2s²)))).
        // D = 2, s = σ = 1, Δ = (1, 0): 2/3 · (1 - e^{-1/6}) = 0.10235.
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(5);
        var a = Torch.Randn([4000, 2], gen);
        var b = Torch.Randn([4000, 2], gen) + Torch.FromArray(new float[] { 1, 0 });
        var expected = 2.0 / 3 * (1 - Math.Exp(-1.0 / 6));
        // Sampling error of MMD²ᵤ at N = 4000 is about 0.003 (the same-distribution value below shows its scale).
        Assert.InRange(MaximumMeanDiscrepancy.Compute(a, b, [1.0]), expected - 0.008, expected + 0.008);
        Assert.True(Math.Abs(MaximumMeanDiscrepancy.Compute(a, Torch.Randn([4000, 2], gen), [1.0])) < 0.005);
    }

    [Fact]
    public void RejectsBadBandwidths()
    {
        using var scope = Torch.NewDisposeScope();
        var ex = Assert.Throws<ArgumentException>(() => MaximumMeanDiscrepancy.Compute(Torch.Zeros([3, 2]), Torch.Zeros([3, 2]), [1.0, 0.0]));
        Assert.Contains("bandwidths must be positive", ex.Message);
    }
}
