namespace DistillDiff.Diffusion.Tests.Samplers;

using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Samplers;
using DistillDiff.Diffusion.Tests.Support;
using DistillDiff.Engine;

public class SchedulerBehaviourTests
{
    [Fact]
    public void AddNoiseUsesEachSamplesTimestep()
    {
        var config = new SchedulerConfig();
        var ddim = new DdimScheduler(config);
        var euler = new EulerDiscreteScheduler(config);
        var bar = ddim.Schedule.AlphasCumprod;
        using var scope = Torch.NewDisposeScope();
        var x0 = Torch.FromArray(new[] { 1.0, -1.0, 0.5, 2.0 }, 2, 2);
        var noise = Torch.FromArray(new[] { 0.3, 0.1, -0.7, 1.1 }, 2, 2);
        var ts = Torch.FromArray(new long[] { 10, 900 });
        var z = ddim.AddNoise(x0, noise, ts).ToArray<double>();
        double[] expected =
        [
            Math.Sqrt(bar[10]) * 1.0 + Math.Sqrt(1 - bar[10]) * 0.3, Math.Sqrt(bar[10]) * -1.0 + Math.Sqrt(1 - bar[10]) * 0.1,
            Math.Sqrt(bar[900]) * 0.5 - Math.Sqrt(1 - bar[900]) * 0.7, Math.Sqrt(bar[900]) * 2.0 + Math.Sqrt(1 - bar[900]) * 1.1,
        ];
        Close.AllEqual(expected, z, 1e-14, 0, "vp");
        // Sigma form: x = x0 + sigma noise, and the network input scaled back is the VP z.
        var xs = euler.AddNoise(x0, noise, ts);
        Close.Equal(1.0 + Math.Sqrt((1 - bar[10]) / bar[10]) * 0.3, xs.ToArray<double>()[0], 1e-14);
        Close.AllEqual(expected[..2], euler.ScaleModelInput(xs[0], 10).ToArray<double>(), 1e-13, 0, "scaled");
    }

    [Fact]
    public void DynamicThresholdingMatchesAHandComputedQuantile()
    {
        using var scope = Torch.NewDisposeScope();
        var x0 = Torch.FromArray(new[] { 0.5, -3, 2, 1, 0.1, 0.2, -0.3, 0.4 }, 2, 4);
        var y = Thresholding.Dynamic(x0, 0.75, 2.5).ToArray<double>();
        // Row 0: |x| sorted 0.5 1 2 3, position 0.75 * 3 = 2.25 -> s = 2 + 0.25 * (3 - 2) = 2.25.
        // Row 1: s = 0.325, clamped up to 1: unchanged.
        double[] expected = [0.5 / 2.25, -1, 2 / 2.25, 1 / 2.25, 0.1, 0.2, -0.3, 0.4];
        Close.AllEqual(expected, y, 1e-15, 0, "thresholded");
        Close.AllEqual([0.5, -1, 1, 1], Thresholding.Clip(x0, 1).ToArray<double>()[..4], 0, 0, "clipped");
    }

    [Fact]
    public void StatefulSchedulersInsistOnTheirOrder()
    {
        var heun = new HeunDiscreteScheduler(new SchedulerConfig { TimestepSpacing = "trailing", ClipSample = false });
        heun.SetTimesteps(3);
        using var scope = Torch.NewDisposeScope();
        var x = Torch.Ones([2, 1], DType.Float64);
        Assert.True(heun.StateInFirstOrder);
        heun.Step(Torch.ZerosLike(x), 999, x);
        Assert.False(heun.StateInFirstOrder);
        var ex = Assert.Throws<InvalidOperationException>(() => heun.Step(Torch.ZerosLike(x), 999, x));
        Assert.Contains("expected timestep 666", ex.Message);

        var dpm = new DpmSolverMultistepScheduler(new SchedulerConfig { TimestepSpacing = "trailing" });
        Assert.Throws<InvalidOperationException>(() => dpm.Step(x, 999, x));
    }

    [Fact]
    public void UnsupportedSettingsAreRefused()
    {
        Assert.Contains("solver_order", Assert.Throws<ArgumentException>(() => new DpmSolverMultistepScheduler(new SchedulerConfig { SolverOrder = 3 })).Message);
        Assert.Contains("learned", Assert.Throws<ArgumentException>(() => new DdpmScheduler(new SchedulerConfig { VarianceType = "learned" })).Message);
        Assert.Contains("both", Assert.Throws<ArgumentException>(() => new DdimScheduler(new SchedulerConfig { PredictionType = "both" })).Message);
        Assert.Contains("timestep_spacing", Assert.Throws<ArgumentException>(() => new DdimScheduler(new SchedulerConfig { TimestepSpacing = "uniform" })).Message);
        Assert.Contains("ddim/DDIMScheduler", Assert.Throws<ArgumentException>(() => SamplerRegistry.Create("plms", new SchedulerConfig())).Message);
    }

    [Fact]
    public void ImagesGoThroughTheLoop()
    {
        var scheduler = SamplerRegistry.Create("dpmpp_2m", new SchedulerConfig { TimestepSpacing = "trailing", PredictionType = "v_prediction" });
        using var oracle = new GaussianOracle(scheduler.Schedule, 0.1, 0.5, Prediction.Both, channels: 3);
        using var gen = new Generator(4);
        using var labels = Torch.Zeros([2], DType.Int64);
        using var x = Sampling.Sample(new Denoiser(oracle, scheduler.Schedule, Prediction.Both), scheduler, 6, [2, 3, 4, 4], labels, gen);
        Assert.Equal(new long[] { 2, 3, 4, 4 }, x.Shape);
        Assert.Equal(DType.Float32, x.DType);
        Assert.True(Torch.AllFinite([x]));
        Assert.Equal(6, oracle.Calls);
    }
}
