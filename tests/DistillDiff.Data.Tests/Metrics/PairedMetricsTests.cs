namespace DistillDiff.Data.Tests.Metrics;

using DistillDiff.Data.Metrics;
using DistillDiff.Engine;

public class PairedMetricsTests
{
    [Fact]
    public void PsnrMatchesTheHandValue()
    {
        // Range 2 (images in [-1, 1]): sample 0 differs by 0.2 everywhere → MSE 0.04 → 10·log₁₀(4/0.04) = 20 dB;
        // sample 1 by 0.02 → 10·log₁₀(4/0.0004) = 40 dB. Mean 30 dB.
        using var scope = Torch.NewDisposeScope();
        var a = Torch.Zeros([2, 1, 4, 4]);
        var b = Torch.Cat([Torch.Full([1, 1, 4, 4], 0.2), Torch.Full([1, 1, 4, 4], -0.02)]);
        Assert.Equal(30, PairedMetrics.Psnr(a, b), 4);
        Assert.Equal(PairedMetrics.MaxDecibels, PairedMetrics.Psnr(a, a), 9);
    }

    [Fact]
    public void MeanDistancePairsRows()
    {
        using var scope = Torch.NewDisposeScope();
        var a = Torch.FromArray(new double[] { 0, 0, 1, 1 }, 2, 2);
        var b = Torch.FromArray(new double[] { 3, 4, 1, 1 }, 2, 2);
        Assert.Equal(2.5, PairedMetrics.MeanDistance(a, b), 12); // (5 + 0) / 2
        Assert.Throws<ArgumentException>(() => PairedMetrics.MeanDistance(a, Torch.Zeros([3, 2])));
    }
}
