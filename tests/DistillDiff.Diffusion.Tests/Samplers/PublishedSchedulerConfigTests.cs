namespace DistillDiff.Diffusion.Tests.Samplers;

using System.Text.Json;
using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Samplers;
using DistillDiff.Diffusion.Schedules;
using DistillDiff.Diffusion.Tests.Support;
using DistillDiff.Engine;

/// <summary>
/// A published folder's scheduler_config.json, read back as diffusers would (a DDIMScheduler built from the file
/// alone), samples what `distilldiff sample --steps N` samples: the continuous-time DDIM on t = i / N (written out
/// below, as ContinuousDdim does it), from the same noise, with the same network.
/// </summary>
public sealed class PublishedSchedulerConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ddiff-pub-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("cosine_logsnr", false, Prediction.V)]
    [InlineData("cosine_logsnr", true, Prediction.V)]
    [InlineData("cosine_logsnr", false, Prediction.Sample)]
    [InlineData("sigmoid", false, Prediction.Epsilon)]
    [InlineData("squaredcos_cap_v2", false, Prediction.V)]
    [InlineData("linear", true, Prediction.V)]
    public void TheFileSamplesWhatTheProjectSamples(string scheduleName, bool zeroSnr, Prediction prediction)
    {
        var schedule = new NoiseScheduleConfig(scheduleName, 1000, 1e-4, 0.02, zeroSnr);
        var path = Path.Combine(_dir, "scheduler_config.json");
        PublishedSchedulerConfig.Write(path, schedule, prediction);

        // The file is one diffusers reads: DDIMScheduler's keys only, a beta_schedule diffusers knows or trained_betas.
        using (var doc = JsonDocument.Parse(File.ReadAllText(path)))
        {
            var root = doc.RootElement;
            Assert.Equal("DDIMScheduler", root.GetProperty("_class_name").GetString());
            foreach (var p in root.EnumerateObject().Where(p => !p.Name.StartsWith('_')))
                Assert.True(DiffusersSchedulerClasses.Accepts("DDIMScheduler", p.Name), $"DDIMScheduler has no '{p.Name}'");
            var named = scheduleName is "linear" or "squaredcos_cap_v2";
            Assert.Equal(named ? JsonValueKind.Null : JsonValueKind.Array, root.GetProperty("trained_betas").ValueKind);
            if (named) Assert.Equal(scheduleName, root.GetProperty("beta_schedule").GetString());
            else Assert.False(root.GetProperty("rescale_betas_zero_snr").GetBoolean()); // already in the betas
            Assert.Equal(PredictionNames.ToName(prediction), root.GetProperty("prediction_type").GetString());
        }

        var projectSchedule = ScheduleRegistry.Create(schedule);
        using var oracle = new GaussianOracle(projectSchedule, 0.3, 0.6, prediction);
        var denoiser = new Denoiser(oracle, projectSchedule, prediction);
        foreach (var steps in new[] { 1, 2, 4, 8, 10 })
        {
            var fromFile = SamplerRegistry.FromFile(path);
            using var gen1 = new Generator(21);
            using var viaFile = Sampling.Sample(denoiser, fromFile, steps, [16, 1], null, gen1, DType.Float64);
            using var gen2 = new Generator(21);
            using var viaProject = ContinuousDdim(denoiser, steps, [16, 1], gen2);
            Close.AllEqual(viaProject.ToArray<double>(), viaFile.ToArray<double>(), 0, 1e-9, $"{scheduleName} zsnr={zeroSnr} {prediction} N={steps}");
        }
    }

    /// <summary>`distilldiff sample`'s default sampler: z_s = alpha_s x0-hat + sigma_s eps-hat on t = i / N, x0-hat at the end.</summary>
    private static Tensor ContinuousDdim(Denoiser denoiser, int steps, long[] shape, Generator gen)
    {
        using var noGrad = Torch.NoGrad();
        var s = denoiser.Schedule;
        var z = Torch.Randn(shape, gen, DType.Float64);
        for (var i = steps; i >= 1; i--)
        {
            using var scope = Torch.NewDisposeScope();
            double t = (double)i / steps, u = (i - 1.0) / steps;
            using var output = denoiser.Predict(z, Torch.Full([shape[0]], t, DType.Float64), null);
            var next = i == 1 ? output.X0.Alias() : output.X0 * s.Alpha(u) + output.Eps * s.Sigma(u);
            z.Dispose();
            z = scope.MoveOut(next);
        }
        return z;
    }
}
