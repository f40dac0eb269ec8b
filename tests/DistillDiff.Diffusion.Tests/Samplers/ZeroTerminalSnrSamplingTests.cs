namespace DistillDiff.Diffusion.Tests.Samplers;

using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Samplers;
using DistillDiff.Engine;

/// <summary>With rescale_betas_zero_snr the first timestep has alpha-bar = 0 exactly; no sampler may produce NaN. (Heun has
/// no rescale_betas_zero_snr in diffusers and refuses it.)</summary>
public class ZeroTerminalSnrSamplingTests
{
    public static TheoryData<string, string, int> Cases()
    {
        var data = new TheoryData<string, string, int>();
        foreach (var name in new[] { "ddpm", "ddim", "euler", "dpmpp_2m", "few_step" })
            foreach (var prediction in new[] { "v_prediction", "sample" })
                foreach (var steps in new[] { 1, 4, 25 })
                    data.Add(name, prediction, steps);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SamplesStayFinite(string name, string prediction, int steps)
    {
        var config = new SchedulerConfig { RescaleBetasZeroSnr = true, TimestepSpacing = "trailing", PredictionType = prediction, ClipSample = false };
        var scheduler = SamplerRegistry.Create(name, config);
        Assert.Equal(0.0, scheduler.Schedule.AlphasCumprod[^1]);
        using var oracle = new Support.GaussianOracle(scheduler.Schedule, 0.5, 0.5, Prediction.V);
        using var gen = new Generator(8);
        using var x = Sampling.Sample(new Denoiser(oracle, scheduler.Schedule, Prediction.V), scheduler, steps, [256, 1], null, gen, DType.Float64);
        Assert.True(Torch.AllFinite([x]), $"{name} produced a non-finite sample");
        using var std = x.Std();
        using var mean = x.Mean();
        if (steps == 1)
        {
            // One step from pure noise can only give E[x0] (Euler and DPM floor alpha-bar at 2^-24: off by ~1e-4).
            Assert.InRange(mean.Item(), 0.5 - 1e-3, 0.5 + 1e-3);
            Assert.InRange(std.Item(), 0, 1e-3);
        }
        else
        {
            Assert.InRange(std.Item(), 0.05, 2.0);
        }
    }
}
