namespace DistillDiff.Diffusion.Tests.Schedules;

using DistillDiff.Diffusion.Schedules;
using DistillDiff.Diffusion.Tests.Support;
using DistillDiff.Engine;

public class ZeroTerminalSnrTests
{
    [Theory]
    [InlineData("linear")]
    [InlineData("scaled_linear")]
    [InlineData("squaredcos_cap_v2")]
    [InlineData("sigmoid")]
    public void RescaledDiscreteScheduleEndsAtPureNoise(string name)
    {
        var plain = ScheduleRegistry.Create(new NoiseScheduleConfig(name));
        var rescaled = ScheduleRegistry.Create(new NoiseScheduleConfig(name, RescaleZeroTerminalSnr: true));
        var (before, after) = (plain.AlphasCumprod, rescaled.AlphasCumprod);
        Assert.Equal(0.0, after[^1]);
        Close.Equal(before[0], after[0], 1e-12);
        // Lin et al. Alg. 1, computed here from the plain schedule.
        var (first, last) = (Math.Sqrt(before[0]), Math.Sqrt(before[^1]));
        foreach (var n in new[] { 1, 300, 700, 998 })
            Close.Equal(Math.Pow((Math.Sqrt(before[n]) - last) * first / (first - last), 2), after[n], 1e-10, what: $"alpha-bar[{n}]");

        Assert.Equal(0.0, rescaled.Alpha(1));
        Assert.Equal(1.0, rescaled.Sigma(1));
        Assert.Equal(double.NegativeInfinity, rescaled.LogSnr(1));
        Assert.True(double.IsFinite(rescaled.LogSnr(0.9999)));
        using var scope = Torch.NewDisposeScope();
        var t = Torch.FromArray(new[] { 1.0, 0.9999, 0.5 });
        Assert.Equal(0.0, rescaled.Alpha(t).ToArray<double>()[0]);
        Assert.Equal(1.0, rescaled.Sigma(t).ToArray<double>()[0]);
        var lambda = rescaled.LogSnr(t);
        Assert.Equal(double.NegativeInfinity, lambda.ToArray<double>()[0]);
        Assert.Equal(0.0, lambda.IsNan().Any().Item());
    }

    [Fact]
    public void RescaledCosineLogSnrKeepsItsCleanEnd()
    {
        var schedule = new CosineLogSnrSchedule(1000, rescaleZeroTerminalSnr: true);
        Close.Equal(20, schedule.LogSnr(0), 1e-9);
        Assert.Equal(0.0, schedule.Alpha(1));
        Assert.Equal(0.0, schedule.AlphasCumprod[^1]);
        Assert.Equal(double.NegativeInfinity, schedule.LogSnr(1));
    }
}
