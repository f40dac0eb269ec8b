namespace DistillDiff.Training.Tests;

using System.Text.Json;
using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Samplers;
using DistillDiff.Engine;
using DistillDiff.Models.Checkpoints;
using DistillDiff.Recipes;
using DistillDiff.Training.Config;
using DistillDiff.Training.Evaluation;
using DistillDiff.Training.Trainers;

/// <summary>
/// A folder published by training (the quickstart's MLP on cosine_logsnr with v-prediction) carries a
/// scheduler_config.json diffusers can run (DDIMScheduler with trained_betas) whose N-step samples are the
/// continuous-time DDIM samples `distilldiff sample --steps N` draws; every sampler reads the same file; `distilldiff
/// convert` is wired into the CLI.
/// </summary>
public class PublishedFolderTests
{
    [Fact]
    public void TheFolderSchedulerSamplesWhatDistilldiffSampleSamples()
    {
        var dir = TestRecipes.TempDir("published");
        var job = JobConfig.From(RecipeLoader.Load(Path.Combine(TestRecipes.RepoRoot, "recipes", "quickstart.yaml")));
        Torch.ManualSeed(5);
        using var model = ModelSetup.Create(job);
        var folder = Path.Combine(dir, "student-4steps");
        ModelSetup.SaveFolder(folder, model, job, steps: 4);

        var configPath = Path.Combine(folder, "scheduler_config.json");
        using (var doc = JsonDocument.Parse(File.ReadAllText(configPath)))
        {
            Assert.Equal("DDIMScheduler", doc.RootElement.GetProperty("_class_name").GetString());
            Assert.Equal(1000, doc.RootElement.GetProperty("trained_betas").GetArrayLength()); // cosine_logsnr has no diffusers name
            Assert.Equal("v_prediction", doc.RootElement.GetProperty("prediction_type").GetString());
        }

        var denoiser = new Denoiser(model, Diffusion.Schedules.ScheduleRegistry.Create(job.Diffusion.ToScheduleConfig()), job.Diffusion.ParsePrediction());
        foreach (var steps in new[] { 1, 4, 8 })
        {
            using var gen1 = new Generator(9);
            using var pd = Diffusion.Samplers.Sampling.Sample(denoiser, SamplerRegistry.Create("pd", job.Diffusion.ToSchedulerConfig()), steps, [64, 2], null, gen1);
            using var gen2 = new Generator(9);
            using var viaFile = Diffusion.Samplers.Sampling.Sample(denoiser, SamplerRegistry.FromFile(configPath), steps, [64, 2], null, gen2);
            using var diff = (pd - viaFile).Abs().Max();
            Assert.True(diff.Item() < 1e-4, $"{steps} steps: max |pd - scheduler_config.json DDIM| = {diff.Item()}");
        }

        // `distilldiff sample` with each sampler reads the folder's file (as diffusers' X.from_config).
        foreach (var sampler in new[] { "pd", "ddim", "ddpm", "euler", "heun", "dpmpp_2m" })
        {
            var png = Path.Combine(dir, $"{sampler}.png");
            SampleCommand.Run(folder, 4, sampler, png, 8, 0, "cpu", null);
            Assert.True(new FileInfo(png).Length > 0, sampler);
        }
    }

    [Fact]
    public void ConvertIsACommandWithOneErrorLine()
    {
        var dir = TestRecipes.TempDir("convert");
        var evil = Path.Combine(dir, "evil.pt");
        // pickle.dumps of a __reduce__ returning (os.system, ("true",)), protocol 2.
        File.WriteAllBytes(evil, [0x80, 2, (byte)'c', .. "posix\nsystem\n"u8, (byte)'X', 4, 0, 0, 0, .. "true"u8, 0x85, (byte)'R', (byte)'.']);
        var (code, _, stderr) = Cli.Run(["convert", evil, "--out", Path.Combine(dir, "out")], TimeSpan.FromMinutes(2));
        Assert.Equal(1, code);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains("'posix.system'", line);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
        Assert.False(File.Exists(Path.Combine(dir, "out", ModelFolder.WeightsFile)));
    }
}
