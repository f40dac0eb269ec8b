namespace DistillDiff.Diffusion.Tests.Schedules;

using DistillDiff.Diffusion.Schedules;
using DistillDiff.Diffusion.Tests.Support;

/// <summary>The discrete view of each schedule against values computed independently here.</summary>
public class AlphasCumprodTests
{
    private const int N = 1000;

    private static double[] Product(Func<int, double> beta)
    {
        var bar = new double[N];
        var p = 1.0;
        for (var i = 0; i < N; i++) bar[i] = p *= 1 - beta(i);
        return bar;
    }

    [Fact]
    public void LinearMatchesDiffusersEndpoints()
    {
        var bar = new LinearSchedule().AlphasCumprod;
        Close.Equal(1 - 1e-4, bar[0], 1e-15);
        Close.Equal(4.0358e-5, bar[999], 1e-4);          // the DDPM paper's alpha-bar_T
        var expected = Product(i => 1e-4 + (0.02 - 1e-4) * i / 999.0);
        Close.Equal(expected[999], bar[999], 1e-12);
        Close.Equal(expected[499], bar[499], 1e-12);
        Assert.Equal(0.02, new LinearSchedule().Betas[999], 15);
    }

    [Fact]
    public void ScaledLinearSquaresALinspaceOfRoots()
    {
        var bar = new ScaledLinearSchedule(N, 0.00085, 0.012).AlphasCumprod;
        var (a, b) = (Math.Sqrt(0.00085), Math.Sqrt(0.012));
        var expected = Product(i => Math.Pow(a + (b - a) * i / 999.0, 2));
        Close.Equal(1 - 0.00085, bar[0], 1e-15);
        Close.Equal(expected[999], bar[999], 1e-12);
        Close.Equal(0.0047, bar[999], 0.01); // Stable Diffusion's alpha-bar_T, about 0.0047
    }

    [Fact]
    public void SquaredCosineFollowsTheClosedForm()
    {
        var bar = new CosineSchedule(N).AlphasCumprod;
        static double F(double t) => Math.Pow(Math.Cos((t + 0.008) / 1.008 * Math.PI / 2), 2);
        foreach (var n in new[] { 0, 1, 250, 499, 900, 998 })
            Close.Equal(F((n + 1.0) / N) / F(0), bar[n], 1e-11, what: $"alpha-bar[{n}]");
        // The last beta is capped at max_beta = 0.999.
        Close.Equal(bar[998] * (1 - 0.999), bar[999], 1e-12);
    }

    [Fact]
    public void SigmoidBetasSpanSixSigmas()
    {
        var schedule = new SigmoidSchedule(N, 1e-4, 0.02);
        static double S(double x) => 1 / (1 + Math.Exp(-x));
        Close.Equal(S(-6) * (0.02 - 1e-4) + 1e-4, schedule.Betas[0], 1e-14);
        Close.Equal(S(6) * (0.02 - 1e-4) + 1e-4, schedule.Betas[999], 1e-14);
        var expected = Product(i => S(-6 + 12.0 * i / 999) * (0.02 - 1e-4) + 1e-4);
        Close.Equal(expected[999], schedule.AlphasCumprod[999], 1e-12);
    }

    [Fact]
    public void CosineLogSnrHitsItsClipsAndCrossesZeroAtHalf()
    {
        var schedule = new CosineLogSnrSchedule(N);
        Close.Equal(20, schedule.LogSnr(0), 1e-12);
        Close.Equal(-20, schedule.LogSnr(1), 1e-12);
        Close.Equal(0, schedule.LogSnr(0.5), abs: 1e-12);
        var b = Math.Atan(Math.Exp(-10));
        var a = Math.Atan(Math.Exp(10)) - b;
        Close.Equal(-2 * Math.Log(Math.Tan(a * 0.3 + b)), schedule.LogSnr(0.3), 1e-12);
        var bar = schedule.AlphasCumprod;
        foreach (var n in new[] { 0, 499, 999 })
            Close.Equal(1 / (1 + Math.Exp(-schedule.LogSnr((n + 1.0) / N))), bar[n], 1e-14);
        // Betas reproduce alpha-bar as a product.
        var betas = schedule.Betas;
        var p = 1.0;
        for (var i = 0; i < N; i++) p *= 1 - betas[i];
        Close.Equal(bar[999], p, 1e-9);
    }

    [Fact]
    public void TrainedBetasWinOverTheScheduleName()
    {
        var betas = Enumerable.Range(0, 10).Select(i => 0.01 * (i + 1)).ToArray();
        var schedule = ScheduleRegistry.Create(new NoiseScheduleConfig("scaled_linear", 10, TrainedBetas: betas));
        Assert.IsType<DiscreteNoiseSchedule>(schedule);
        Assert.Equal(betas, schedule.Betas);
        var ex = Assert.Throws<ArgumentException>(() => ScheduleRegistry.Create(new NoiseScheduleConfig("linear", 11, TrainedBetas: betas)));
        Assert.Contains("trained_betas", ex.Message);
    }

    [Fact]
    public void UnknownScheduleNamesTheKnownOnes()
    {
        var ex = Assert.Throws<ArgumentException>(() => ScheduleRegistry.Create("cosine"));
        Assert.Contains("squaredcos_cap_v2", ex.Message);
        Assert.Contains("cosine_logsnr", ex.Message);
    }
}
