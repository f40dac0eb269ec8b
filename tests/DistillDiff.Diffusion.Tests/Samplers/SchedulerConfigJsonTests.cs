namespace DistillDiff.Diffusion.Tests.Samplers;

using System.Text.Json;
using DistillDiff.Diffusion.Samplers;

public sealed class SchedulerConfigJsonTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ddiff-sched-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void RoundTripsEveryKeyOfEachClass()
    {
        var ddim = new SchedulerConfig
        {
            NumTrainTimesteps = 10, BetaStart = 0.00085, BetaEnd = 0.012, BetaSchedule = "scaled_linear",
            TrainedBetas = Enumerable.Range(1, 10).Select(i => i / 97.0).ToArray(),
            ClipSample = false, ClipSampleRange = 2.5, PredictionType = "v_prediction", Thresholding = true,
            DynamicThresholdingRatio = 0.9, SampleMaxValue = 3.0, TimestepSpacing = "trailing", StepsOffset = 1,
            SetAlphaToOne = false, RescaleBetasZeroSnr = true,
        };
        var dpm = SchedulerConfig.ForClass("DPMSolverMultistepScheduler") with
        {
            NumTrainTimesteps = 10, BetaSchedule = "squaredcos_cap_v2", Thresholding = true, SolverOrder = 1, SolverType = "heun",
            LowerOrderFinal = false, EulerAtFinal = true, UseLuLambdas = true, FinalSigmasType = "sigma_min",
            LambdaMinClipped = -5.1, FlowShift = 3, RescaleBetasZeroSnr = true, TimestepSpacing = "leading", StepsOffset = 1,
        };
        var euler = SchedulerConfig.ForClass("EulerDiscreteScheduler") with
        {
            InterpolationType = "log_linear", UseExponentialSigmas = true, SigmaMin = 0.1, SigmaMax = 20, TimestepType = "continuous",
            FinalSigmasType = "sigma_min", RescaleBetasZeroSnr = true,
        };
        var path = Path.Combine(_dir, "scheduler_config.json");
        foreach (var (name, config) in new[] { ("DDIMScheduler", ddim), ("DPMSolverMultistepScheduler", dpm), ("EulerDiscreteScheduler", euler) })
        {
            SchedulerConfigJson.Write(path, name, config);
            var doc = SchedulerConfigJson.Read(path);
            Assert.Equal(name, doc.ClassName);
            Assert.Equal(SchedulerConfigJson.DiffusersVersion, doc.DiffusersVersion);
            Assert.Empty(doc.IgnoredKeys);
            Assert.Equal(config, doc.Config);
        }
        Assert.NotEqual(ddim, ddim with { TrainedBetas = [1.0] });
    }

    [Fact]
    public void WritesSortedKeysAsDiffusersDoes()
    {
        var json = SchedulerConfigJson.Serialize("DDPMScheduler", new SchedulerConfig());
        using var doc = JsonDocument.Parse(json);
        var keys = doc.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
        Assert.Equal(["_class_name", "_diffusers_version"], keys.Take(2));
        Assert.Equal(1000, doc.RootElement.GetProperty("num_train_timesteps").GetInt32());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("trained_betas").ValueKind);
        Assert.Equal(1e-4, doc.RootElement.GetProperty("beta_start").GetDouble());
    }

    [Fact]
    public void ReadsADiffusersFileAndToleratesNewKeys()
    {
        const string json = """
            {
              "_class_name": "DDIMScheduler",
              "_diffusers_version": "0.6.0",
              "beta_end": 0.012,
              "beta_schedule": "scaled_linear",
              "beta_start": 0.00085,
              "clip_sample": false,
              "num_train_timesteps": 1000,
              "set_alpha_to_one": false,
              "skip_prk_steps": true,
              "steps_offset": 1,
              "trained_betas": null,
              "timestep_type": "discrete"
            }
            """;
        var doc = SchedulerConfigJson.Parse(json);
        Assert.Equal(["skip_prk_steps", "timestep_type"], doc.IgnoredKeys);
        Assert.Equal("scaled_linear", doc.Config.BetaSchedule);
        Assert.Equal(0.00085, doc.Config.BetaStart);
        Assert.False(doc.Config.SetAlphaToOne);
        Assert.Equal(1, doc.Config.StepsOffset);
        Assert.Null(doc.Config.TrainedBetas);
        Assert.Equal("leading", doc.Config.TimestepSpacing);     // DDIM's default
        Assert.Equal("epsilon", doc.Config.PredictionType);

        var scheduler = SamplerRegistry.Create(doc.ClassName!, doc.Config);
        scheduler.SetTimesteps(4);
        Assert.Equal(new double[] { 751, 501, 251, 1 }, scheduler.Timesteps);
    }

    [Fact]
    public void ClassDefaultsFillMissingKeys()
    {
        var euler = SchedulerConfigJson.Parse("""{"_class_name": "EulerDiscreteScheduler", "prediction_type": "v_prediction"}""");
        Assert.Equal("linspace", euler.Config.TimestepSpacing);
        Assert.False(euler.Config.ClipSample);
        Assert.Equal("v_prediction", euler.Config.PredictionType);
    }

    [Theory]
    [InlineData("\"num_train_timesteps\": \"1000\"", "num_train_timesteps", "an integer")]
    [InlineData("\"num_train_timesteps\": 1000.5", "num_train_timesteps", "an integer")]
    [InlineData("\"clip_sample\": 1", "clip_sample", "true or false")]
    [InlineData("\"beta_start\": \"0.0001\"", "beta_start", "a number")]
    [InlineData("\"prediction_type\": 3", "prediction_type", "a string")]
    [InlineData("\"trained_betas\": [0.1, \"x\"]", "trained_betas[1]", "a number")]
    [InlineData("\"trained_betas\": 0.1", "trained_betas", "null or an array")]
    public void WrongTypesAreRefusedWithTheKeyAndFile(string entry, string key, string expected)
    {
        var path = Path.Combine(_dir, "scheduler_config.json");
        File.WriteAllText(path, $$"""{"_class_name": "DDPMScheduler", {{entry}}}""");
        var ex = Assert.Throws<InvalidDataException>(() => SchedulerConfigJson.Read(path));
        Assert.Contains($"'{key}'", ex.Message);
        Assert.Contains(path, ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void MalformedFilesAreRefused()
    {
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => SchedulerConfigJson.Parse("{", "f.json")).Message);
        Assert.Contains("expected a JSON object", Assert.Throws<InvalidDataException>(() => SchedulerConfigJson.Parse("[1]", "f.json")).Message);
    }

    [Fact]
    public void RegistrySavesAndLoadsSchedulers()
    {
        var path = Path.Combine(_dir, "scheduler_config.json");
        foreach (var name in SamplerRegistry.Names)
        {
            var config = SchedulerConfig.ForClass(SamplerRegistry.ClassNameOf(name)) with { PredictionType = "sample", TimestepSpacing = "trailing" };
            var original = SamplerRegistry.Create(name, config);
            SamplerRegistry.Save(original, path);
            var loaded = SamplerRegistry.FromFile(path);
            Assert.Equal(original.GetType(), loaded.GetType());
            Assert.Equal(original.Config, loaded.Config);
            Assert.Equal(SamplerRegistry.ClassNameOf(name), loaded.ClassName);
        }
    }
}
