namespace DistillDiff.Diffusion.Tests.Samplers;

using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Samplers;
using DistillDiff.Diffusion.Schedules;
using DistillDiff.Diffusion.Tests.Support;
using DistillDiff.Engine;

public class DdimTests
{
    private static readonly double[] X0 = [0.5, -0.25, 0.9, -1.0, 0.0, 0.3];

    [Theory]
    [InlineData(1, "trailing")]
    [InlineData(2, "trailing")]
    [InlineData(4, "trailing")]
    [InlineData(50, "trailing")]
    [InlineData(4, "leading")]
    [InlineData(50, "linspace")]
    public void ExactEpsilonOfAPointMassRecoversIt(int steps, string spacing)
    {
        var ddim = new DdimScheduler(new SchedulerConfig { TimestepSpacing = spacing, StepsOffset = spacing == "leading" ? 1 : 0, ClipSample = false });
        var bar = new LinearSchedule().AlphasCumprod; // alpha-bar straight from the betas, independent of the scheduler
        ddim.SetTimesteps(steps);
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(11);
        var x0 = Torch.FromArray(X0, 2, 3);
        var z = Torch.Randn([2, 3], gen, DType.Float64);
        foreach (var t in ddim.Timesteps)
        {
            var eps = (z - x0 * Math.Sqrt(bar[(int)t])) / Math.Sqrt(1 - bar[(int)t]); // eps_exact = (z - alpha x0) / sigma
            z = ddim.Step(eps, t, z);
        }
        Close.AllEqual(X0, z.ToArray<double>(), 0, 1e-6, "x0");
        Close.AllEqual(X0, z.ToArray<double>(), 0, 1e-11, "x0 (float64)");
    }

    [Fact]
    public void EtaOneIsTheDdpmPosterior()
    {
        var config = new SchedulerConfig { TimestepSpacing = "trailing", ClipSample = false, PredictionType = "v_prediction" };
        var a = Run(new DdimScheduler(config, eta: 1));
        var b = Run(new DdpmScheduler(config));
        // DDPM (diffusers) noises every step with t > 0, the last one (t = 49) too, by sqrt(max(0, 1e-20)) = 1e-10.
        Close.AllEqual(b, a, 0, 1e-9, "ddim(eta=1) vs ddpm");
    }

    [Fact]
    public void EulerIsDdimInSigmaForm()
    {
        // Leading spacing: there diffusers' Euler starts from sqrt(sigma_max^2 + 1) noise, the VP z ~ N(0, I) of DDIM
        // (with linspace and trailing it starts from sigma_max, a slightly smaller noise).
        var config = new SchedulerConfig { TimestepSpacing = "leading", ClipSample = false, PredictionType = "epsilon" };
        var a = Run(new DdimScheduler(config));
        var b = Run(new EulerDiscreteScheduler(config));
        Close.AllEqual(a, b, 0, 1e-10, "euler vs ddim");
    }

    [Fact]
    public void DpmSolverFirstOrderIsDdim()
    {
        var config = new SchedulerConfig { TimestepSpacing = "trailing", ClipSample = false, PredictionType = "sample", SolverOrder = 1 };
        Close.AllEqual(Run(new DdimScheduler(config)), Run(new DpmSolverMultistepScheduler(config)), 0, 1e-10, "dpm order 1 vs ddim");
    }

    [Fact]
    public void WithoutSetAlphaToOneTheLastStepStopsAtAlphaBarZero()
    {
        var ddim = new DdimScheduler(new SchedulerConfig { TimestepSpacing = "trailing", ClipSample = false, SetAlphaToOne = false });
        var bar = ddim.Schedule.AlphasCumprod;
        ddim.SetTimesteps(1);
        using var scope = Torch.NewDisposeScope();
        var z = Torch.FromArray(new[] { 0.3, -0.4 }, 2, 1);
        var eps = Torch.FromArray(new[] { 1.0, 2.0 }, 2, 1);
        var x0 = (z - eps * Math.Sqrt(1 - bar[999])) / Math.Sqrt(bar[999]);
        var expected = (x0 * Math.Sqrt(bar[0]) + eps * Math.Sqrt(1 - bar[0])).ToArray<double>();
        Close.AllEqual(expected, ddim.Step(eps, 999, z).ToArray<double>(), 1e-12, 0, "final step to alpha-bar_0");
    }

    private static double[] Run(IScheduler scheduler)
    {
        var schedule = scheduler.Schedule;
        using var oracle = new GaussianOracle(schedule, 1.0, 0.5, Prediction.V);
        using var gen = new Generator(5);
        using var x = Sampling.Sample(new Denoiser(oracle, schedule, Prediction.V), scheduler, 20, [64, 1], null, gen, DType.Float64);
        return x.ToArray<double>();
    }
}
