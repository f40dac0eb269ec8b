namespace DistillDiff.Data.Tests.Metrics;

using DistillDiff.Data.Metrics;
using DistillDiff.Engine;

public class KernelInceptionDistanceTests
{
    [Fact]
    public void OneDimensionalCaseMatchesTheHandValue()
    {
        // D = 1, k(x, y) = (xy + 1)³. a = {0, 1}, b = {1, 2}:
        // aa (i ≠ i'): k(0, 1) twice = 1 each → 2 / (2·1) = 1; bb: k(1, 2) = 27 twice → 27;
        // ab: k(0,1) + k(0,2) + k(1,1) + k(1,2) = 1 + 1 + 8 + 27 = 37 → 2·37/4 = 18.5. KID = 1 + 27 - 18.5 = 9.5.
        using var scope = Torch.NewDisposeScope();
        var a = Torch.FromArray(new double[] { 0, 1 });
        var b = Torch.FromArray(new double[] { 1, 2 });
        Assert.Equal(9.5, KernelInceptionDistance.Compute(a, b), 12);
    }

    [Fact]
    public void EstimatorIsUnbiasedNotAVStatistic()
    {
        // D = 2, k(x, y) = (xᵀy/2 + 1)³. a = {(1,0), (0,1)}, b = {(1,1), (0,0)}: off-diagonal aa and bb terms are
        // (0 + 1)³ = 1 → 1 + 1; ab: (1/2 + 1)³ = 3.375 twice and 1 twice → mean 2.1875, times 2 = 4.375.
        // KID = 2 - 4.375 = -2.375: negative, which only the unbiased estimator (diagonals left out) can be;
        // the V-statistic with the diagonals (3.375, 3.375; 8, 1) would be 2.1875 + 2.75 - 4.375 = 0.5625.
        using var scope = Torch.NewDisposeScope();
        var a = Torch.FromArray(new double[] { 1, 0, 0, 1 }, 2, 2);
        var b = Torch.FromArray(new double[] { 1, 1, 0, 0 }, 2, 2);
        Assert.Equal(-2.375, KernelInceptionDistance.Compute(a, b), 12);
    }

    [Fact]
    public void SameDistributionIsNearZeroAndAShiftIsNot()
    {
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(3);
        var a = Torch.Randn([2000, 8], gen);
        var b = Torch.Randn([2000, 8], gen);
        var same = KernelInceptionDistance.Compute(a, b);
        var shifted = KernelInceptionDistance.Compute(a, b + 0.5);
        Assert.True(Math.Abs(same) < 0.01, $"same distribution: {same}");
        Assert.True(shifted > 0.1, $"shifted by 0.5: {shifted}");
    }

    [Fact]
    public void RejectsSingleSamples()
    {
        using var scope = Torch.NewDisposeScope();
        var ex = Assert.Throws<ArgumentException>(() => KernelInceptionDistance.Compute(Torch.Zeros([1, 3]), Torch.Zeros([4, 3])));
        Assert.Contains("at least 2 samples", ex.Message);
    }
}
