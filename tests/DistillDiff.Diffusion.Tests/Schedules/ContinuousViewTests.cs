namespace DistillDiff.Diffusion.Tests.Schedules;

using DistillDiff.Diffusion.Schedules;
using DistillDiff.Diffusion.Tests.Support;
using DistillDiff.Engine;

/// <summary>The continuous view: agrees with the discrete one at t = (n + 1) / N, is VP, and its tensor form matches.</summary>
public class ContinuousViewTests
{
    public static TheoryData<string, bool> Schedules => new()
    {
        { "linear", false }, { "scaled_linear", false }, { "squaredcos_cap_v2", false }, { "sigmoid", false }, { "cosine_logsnr", false },
        { "linear", true }, { "scaled_linear", true }, { "squaredcos_cap_v2", true }, { "cosine_logsnr", true },
    };

    private static NoiseSchedule Make(string name, bool zeroSnr) =>
        ScheduleRegistry.Create(new NoiseScheduleConfig(name, RescaleZeroTerminalSnr: zeroSnr));

    [Theory]
    [MemberData(nameof(Schedules))]
    public void DiscreteAndContinuousAgreeOnTheGrid(string name, bool zeroSnr)
    {
        var schedule = Make(name, zeroSnr);
        var bar = schedule.AlphasCumprod;
        var n = schedule.NumTrainTimesteps;
        foreach (var i in new[] { 0, 1, 2, 10, 100, 499, 500, 800, 998, 999 })
        {
            var t = (i + 1.0) / n;
            Assert.Equal(t, schedule.TimeOf(i));
            Close.Equal(bar[i], Math.Pow(schedule.Alpha(t), 2), 1e-12, 1e-300, $"{name} alpha^2 at n={i}");
            // 1 - bar[i] here carries bar's rounding (1e-16 absolute), which dominates where bar is within 1e-9 of 1.
            Close.Equal(1 - bar[i], Math.Pow(schedule.Sigma(t), 2), 1e-11, 2e-16, $"{name} sigma^2 at n={i}");
            if (bar[i] > 0)
                Close.Equal(Math.Log(bar[i] / (1 - bar[i])), schedule.LogSnr(t), 1e-12, 1e-11 + 4e-16 / (1 - bar[i]), $"{name} lambda at n={i}");
        }
    }

    [Theory]
    [MemberData(nameof(Schedules))]
    public void VariancePreservingAndMonotone(string name, bool zeroSnr)
    {
        var schedule = Make(name, zeroSnr);
        var previous = double.PositiveInfinity;
        for (var k = 0; k <= 4000; k++)
        {
            var t = k / 4000.0;
            var (a, s, l) = (schedule.Alpha(t), schedule.Sigma(t), schedule.LogSnr(t));
            Assert.False(double.IsNaN(a) || double.IsNaN(s) || double.IsNaN(l), $"NaN at t={t}");
            Close.Equal(1, a * a + s * s, 1e-14, what: $"alpha^2 + sigma^2 at t={t}");
            Assert.True(l <= previous, $"lambda increased at t={t}: {previous} -> {l}");
            previous = l;
        }
    }

    [Theory]
    [MemberData(nameof(Schedules))]
    public void TensorViewMatchesScalarView(string name, bool zeroSnr)
    {
        var schedule = Make(name, zeroSnr);
        using var scope = Torch.NewDisposeScope();
        double[] ts = [0, 1e-5, 0.0005, 0.001, 0.0015, 0.25, 0.5, 0.7777, 0.999, 0.9995, 1, -0.5, 1.5];
        var t = Torch.FromArray(ts);
        var (alpha, sigma, lambda) = (schedule.Alpha(t).ToArray<double>(), schedule.Sigma(t).ToArray<double>(), schedule.LogSnr(t).ToArray<double>());
        for (var i = 0; i < ts.Length; i++)
        {
            Close.Equal(schedule.Alpha(ts[i]), alpha[i], 1e-13, 1e-300, $"alpha({ts[i]})");
            Close.Equal(schedule.Sigma(ts[i]), sigma[i], 1e-13, 1e-300, $"sigma({ts[i]})");
            Close.Equal(schedule.LogSnr(ts[i]), lambda[i], 1e-12, 1e-12, $"lambda({ts[i]})");
        }
        // float32 in, float32 out.
        using var t32 = t.Float();
        Assert.Equal(DType.Float32, schedule.Alpha(t32).DType);
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("squaredcos_cap_v2")]
    public void DiscreteSchedulesReachTheDataAtZero(string name)
    {
        var schedule = ScheduleRegistry.Create(name);
        Assert.Equal(1.0, schedule.Alpha(0));
        Assert.Equal(0.0, schedule.Sigma(0));
        Assert.Equal(double.PositiveInfinity, schedule.LogSnr(0));
        // Below 1/N alpha is interpolated linearly between 1 and sqrt(alpha-bar_0).
        var a0 = Math.Sqrt(schedule.AlphasCumprod[0]);
        Close.Equal(1 + 0.5 * (a0 - 1), schedule.Alpha(0.5 / schedule.NumTrainTimesteps), 1e-14);
    }
}
