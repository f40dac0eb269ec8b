namespace DistillDiff.Diffusion.Tests.Samplers;

using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Samplers;
using DistillDiff.Diffusion.Tests.Support;
using DistillDiff.Engine;

public class FewStepSchedulerTests
{
    private static readonly SchedulerConfig Config = new() { TimestepSpacing = "trailing", ClipSample = false, PredictionType = "sample" };

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void ExactStudentLandsOnThePointMass(int steps)
    {
        var scheduler = new FewStepScheduler(Config);
        using var oracle = new GaussianOracle(scheduler.Schedule, 0.42, 0, Prediction.Sample);
        using var gen = new Generator(1);
        using var x = Sampling.Sample(new Denoiser(oracle, scheduler.Schedule, Prediction.Sample), scheduler, steps, [16, 1], null, gen, DType.Float64);
        Close.AllEqual(Enumerable.Repeat(0.42, 16).ToArray(), x.ToArray<double>(), 0, 1e-12);
        Assert.Equal(steps, oracle.Calls);
    }

    [Fact]
    public void RenoisesToTheNextTimestepsMarginal()
    {
        var scheduler = new FewStepScheduler(Config);
        scheduler.SetTimesteps(4);
        var bar = scheduler.Schedule.AlphasCumprod;
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(9);
        var z = Torch.Randn([20_000, 1], gen, DType.Float64);
        var x0 = Torch.FullLike(z, 1.5);
        var next = scheduler.Step(x0, 999, z, gen);   // x0-hat = 1.5, renoised to t = 749
        Close.Equal(Math.Sqrt(bar[749]) * 1.5, next.Mean().Item(), 0, 0.02, "mean");
        Close.Equal(Math.Sqrt(1 - bar[749]), next.Std().Item(), 0.02, 0, "std");
    }

    /// <summary>With a separate step-noise generator, the starting-noise generator advances by the starting noise
    /// alone, as a deterministic sampler's would: the next batch drawn from it starts from the same noise.</summary>
    [Fact]
    public void StepNoiseFromItsOwnGeneratorLeavesTheStartingStreamAsADeterministicSamplerLeavesIt()
    {
        var scheduler = new FewStepScheduler(Config);
        using var oracle = new GaussianOracle(scheduler.Schedule, 0.42, 0.3, Prediction.Sample);
        var denoiser = new Denoiser(oracle, scheduler.Schedule, Prediction.Sample);
        using var scope = Torch.NewDisposeScope();

        using var gen = new Generator(3);
        using var stepNoise = new Generator(4);
        Sampling.Sample(denoiser, scheduler, 4, [8, 1], null, gen, DType.Float64, stepNoise);
        var after = Torch.Randn([8, 1], gen, DType.Float64).ToArray<double>();

        using var plain = new Generator(3);
        Torch.Randn([8, 1], plain, DType.Float64); // what a deterministic sampler (pd, ddim) takes: the starting noise
        var expected = Torch.Randn([8, 1], plain, DType.Float64).ToArray<double>();
        Assert.Equal(expected, after);

        // Without it the steps' renoising consumes the same stream (the old behaviour, kept as the default).
        using var shared = new Generator(3);
        Sampling.Sample(denoiser, scheduler, 4, [8, 1], null, shared, DType.Float64);
        Assert.NotEqual(expected, Torch.Randn([8, 1], shared, DType.Float64).ToArray<double>());
    }
}
