namespace DistillDiff.Diffusion.Tests.Samplers;

using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Samplers;
using DistillDiff.Diffusion.Tests.Support;
using DistillDiff.Engine;

/// <summary>
/// Samplers driven by the exact denoiser of 1-d Gaussian data N(mu, s^2), started from N(0, 1) noise at t = 999 of the
/// linear schedule, must give the data's mean and std within 3% on 20k samples (sampling error about 0.5%).
/// The deterministic solvers' bias, computed in closed form for this data (the map is affine): DPM-Solver++(2M) at
/// 10 trailing steps -0.5% std on N(0.5, 2^2), +0.1% at 20 steps on N(1, 1) (at 10 steps -5%: its last, first-order
/// step from t = 99 shrinks the spread); DDIM, first order, needs ~200 steps (-0.9%; -17% at 10 steps); Heun -1% at
/// 10 steps (19 calls); DDPM ancestral with 1000 steps -0.5% (fixed_small) and 0% (fixed_large), on 10k samples.
/// </summary>
public class GaussianConvergenceTests
{
    private const int Samples = 20_000;
    private const int DdpmSamples = 10_000; // 1000 steps: half the samples keeps the test short

    private static (double Mean, double Std) Draw(string sampler, int steps, double mu, double s, Prediction network,
        SchedulerConfig? config = null, int samples = Samples)
    {
        config ??= new SchedulerConfig();
        config = config with { TimestepSpacing = "trailing", ClipSample = false };
        var scheduler = SamplerRegistry.Create(sampler, config);
        using var oracle = new GaussianOracle(scheduler.Schedule, mu, s, network);
        var denoiser = new Denoiser(oracle, scheduler.Schedule, network);
        using var gen = new Generator(2024);
        using var x = Sampling.Sample(denoiser, scheduler, steps, [samples, 1], null, gen, DType.Float64);
        using var mean = x.Mean();
        using var std = x.Std();
        return (mean.Item(), std.Item());
    }

    private static void AssertMoments(double mu, double s, (double Mean, double Std) got, double tol = 0.03)
    {
        Close.Equal(mu, got.Mean, 0, tol * Math.Max(Math.Abs(mu), s), "mean");
        Close.Equal(s, got.Std, tol, 0, "std");
    }

    [Theory]
    [InlineData(10, 0.5, 2.0)]
    [InlineData(20, 1.0, 1.0)]
    public void DpmSolverPlusPlus2M(int steps, double mu, double s) =>
        AssertMoments(mu, s, Draw("dpmpp_2m", steps, mu, s, Prediction.Epsilon));

    [Fact]
    public void DpmSolverPlusPlus2MWithVPrediction() =>
        AssertMoments(1.0, 1.0, Draw("dpmpp_2m", 20, 1.0, 1.0, Prediction.V, new SchedulerConfig { PredictionType = "v_prediction" }));

    [Fact]
    public void DdimManySteps() => AssertMoments(1.0, 1.0, Draw("ddim", 200, 1.0, 1.0, Prediction.Epsilon));

    [Fact]
    public void HeunTenSteps() => AssertMoments(1.0, 1.0, Draw("heun", 10, 1.0, 1.0, Prediction.V, new SchedulerConfig { PredictionType = "sample" }));

    [Theory]
    [InlineData("fixed_small")]
    [InlineData("fixed_large")]
    public void DdpmAncestralThousandSteps(string variance) =>
        AssertMoments(1.0, 1.0, Draw("ddpm", 1000, 1.0, 1.0, Prediction.Epsilon, new SchedulerConfig { VarianceType = variance }, DdpmSamples));
}
