namespace DistillDiff.Diffusion.Tests.Samplers;

using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Samplers;
using DistillDiff.Diffusion.Tests.Support;
using DistillDiff.Engine;

/// <summary>A full sampling run, stateful schedulers included, leaves no native tensor behind but its result.</summary>
[Collection(NativeCountsCollection.Name)]
public class TensorLifetimeTests
{
    [Theory]
    [InlineData("ddpm")]
    [InlineData("ddim")]
    [InlineData("euler")]
    [InlineData("heun")]
    [InlineData("dpmpp_2m")]
    [InlineData("few_step")]
    public void SamplingFreesItsTemporaries(string name)
    {
        var scheduler = SamplerRegistry.Create(name, new SchedulerConfig { TimestepSpacing = "trailing", PredictionType = "v_prediction", Thresholding = true });
        using var oracle = new GaussianOracle(scheduler.Schedule, 0.2, 0.3, Prediction.Both, channels: 2);
        var denoiser = new Denoiser(oracle, scheduler.Schedule, Prediction.Both);
        using var gen = new Generator(1);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = Torch.LiveTensorCount;
        using (var x = Sampling.Sample(denoiser, scheduler, 5, [3, 2, 2, 2], null, gen))
            Assert.Equal(before + 1, Torch.LiveTensorCount);
        Assert.Equal(before, Torch.LiveTensorCount);
    }
}
