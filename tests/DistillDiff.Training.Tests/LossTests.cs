namespace DistillDiff.Training.Tests;

using DistillDiff.Engine;
using DistillDiff.Training.Losses;

public class LossTests
{
    [Theory]
    [InlineData(LossWeighting.Constant, 1.0)]
    [InlineData(LossWeighting.Snr, 0.36 / 0.64)]       // alpha 0.6, sigma 0.8: snr = 0.5625
    [InlineData(LossWeighting.SnrTrunc, 1.0)]          // max(0.5625, 1)
    [InlineData(LossWeighting.VMse, 1 + 0.36 / 0.64)]
    public void WeightsFollowTheirDefinitions(LossWeighting w, double expected)
    {
        using var scope = Torch.NewDisposeScope();
        var weight = XSpaceLoss.Weight(Torch.FromArray([0.6]), Torch.FromArray([0.8]), w);
        Assert.Equal(expected, weight.ToArray<double>()[0], 12);
    }

    [Fact]
    public void L2AndL1AveragePerExampleThenWeight()
    {
        using var scope = Torch.NewDisposeScope();
        var xHat = Torch.FromArray([1.0, 2.0, 0.0, 0.0], 2, 2);
        var x = Torch.FromArray([0.0, 0.0, 0.0, 3.0], 2, 2);
        var alpha = Torch.FromArray([0.6, 0.8]);
        var sigma = Torch.FromArray([0.8, 0.6]);
        // Example 0: mean sq err 2.5, snr 0.5625; example 1: 4.5, snr 16/9 -> snr_trunc 16/9.
        var l2 = XSpaceLoss.Compute(xHat, x, alpha, sigma, LossWeighting.SnrTrunc, LossNorm.L2).Item();
        Assert.Equal((2.5 * 1 + 4.5 * 16.0 / 9) / 2, l2, 12);
        var l1 = XSpaceLoss.Compute(xHat, x, alpha, sigma, LossWeighting.Constant, LossNorm.L1).Item();
        Assert.Equal((1.5 + 1.5) / 2, l1, 12);
    }

    [Fact]
    public void SnrWeightedXLossEqualsEpsilonMse()
    {
        // x_hat - x = -(sigma / alpha)(eps_hat - eps) for an eps-parameterised x_hat, so snr * |dx|^2 = |d eps|^2.
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(3);
        var x = Torch.Randn([4, 3], gen, DType.Float64);
        var eps = Torch.Randn([4, 3], gen, DType.Float64);
        var epsHat = Torch.Randn([4, 3], gen, DType.Float64);
        var alpha = Torch.FromArray([0.9, 0.7, 0.5, 0.2]);
        var sigma = (1.0 - alpha.Square()).Sqrt();
        var z = alpha.Unsqueeze(1) * x + sigma.Unsqueeze(1) * eps;
        var xHat = (z - sigma.Unsqueeze(1) * epsHat) / alpha.Unsqueeze(1);
        var viaX = XSpaceLoss.Compute(xHat, x, alpha, sigma, LossWeighting.Snr, LossNorm.L2).Item();
        var epsMse = (epsHat - eps).Square().Mean().Item();
        Assert.Equal(epsMse, viaX, 10);
    }
}
