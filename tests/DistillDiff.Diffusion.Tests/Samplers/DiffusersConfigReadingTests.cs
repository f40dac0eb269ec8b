namespace DistillDiff.Diffusion.Tests.Samplers;

using DistillDiff.Diffusion.Samplers;
using DistillDiff.Engine;

/// <summary>scheduler_config.json as diffusers writes it, read as diffusers' X.from_config reads it; keys that are not
/// implemented are refused by name.</summary>
public sealed class DiffusersConfigReadingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ddiff-dcfg-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // DPMSolverMultistepScheduler.save_config() of diffusers 0.31 (Stable Diffusion's betas): Python's json writes the
    // default lambda_min_clipped = float('-inf') as a bare -Infinity, and variance_type = None as null.
    private const string DpmAsDiffusersWritesIt = """
        {
          "_class_name": "DPMSolverMultistepScheduler",
          "_diffusers_version": "0.31.0",
          "algorithm_type": "dpmsolver++",
          "beta_end": 0.012,
          "beta_schedule": "scaled_linear",
          "beta_start": 0.00085,
          "dynamic_thresholding_ratio": 0.995,
          "euler_at_final": false,
          "final_sigmas_type": "zero",
          "flow_shift": 1.0,
          "lambda_min_clipped": -Infinity,
          "lower_order_final": true,
          "num_train_timesteps": 1000,
          "prediction_type": "epsilon",
          "rescale_betas_zero_snr": false,
          "sample_max_value": 1.0,
          "solver_order": 2,
          "solver_type": "midpoint",
          "steps_offset": 1,
          "thresholding": false,
          "timestep_spacing": "leading",
          "trained_betas": null,
          "use_beta_sigmas": false,
          "use_exponential_sigmas": false,
          "use_flow_sigmas": false,
          "use_karras_sigmas": false,
          "use_lu_lambdas": false,
          "variance_type": null
        }
        """;

    private string Write(string json)
    {
        var path = Path.Combine(_dir, "scheduler_config.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void ReadsADpmSolverConfigAsDiffusersWritesIt()
    {
        var doc = SchedulerConfigJson.Read(Write(DpmAsDiffusersWritesIt));
        Assert.Equal("DPMSolverMultistepScheduler", doc.ClassName);
        Assert.Empty(doc.IgnoredKeys);
        Assert.Equal(double.NegativeInfinity, doc.Config.LambdaMinClipped);
        Assert.Null(doc.Config.VarianceType);
        Assert.Equal("scaled_linear", doc.Config.BetaSchedule);
        var dpm = (DpmSolverMultistepScheduler)SamplerRegistry.FromFile(Path.Combine(_dir, "scheduler_config.json"));
        dpm.SetTimesteps(4);
        // leading over n + 1 = 5 points: 1000 // 5 = 200 -> 800, 600, 400, 200 (0 dropped), + steps_offset 1.
        Assert.Equal(new double[] { 801, 601, 401, 201 }, dpm.Timesteps);
        // Written back, the file keeps diffusers' spelling of -inf and null.
        var again = SchedulerConfigJson.Serialize(doc.ClassName!, doc.Config);
        Assert.Contains("\"lambda_min_clipped\": -Infinity", again);
        Assert.Contains("\"variance_type\": null", again);
        Assert.Equal(doc.Config, SchedulerConfigJson.Parse(again).Config);
    }

    [Theory]
    [InlineData("DPMSolverMultistepScheduler", "\"algorithm_type\": \"sde-dpmsolver++\"", "algorithm_type")]
    [InlineData("DPMSolverMultistepScheduler", "\"solver_order\": 3", "solver_order")]
    [InlineData("DPMSolverMultistepScheduler", "\"variance_type\": \"learned_range\"", "variance_type")]
    [InlineData("DPMSolverMultistepScheduler", "\"use_flow_sigmas\": true", "use_flow_sigmas")]
    [InlineData("DPMSolverMultistepScheduler", "\"use_exponential_sigmas\": true", "use_exponential_sigmas")]
    [InlineData("EulerDiscreteScheduler", "\"use_beta_sigmas\": true", "use_beta_sigmas")]
    [InlineData("EulerDiscreteScheduler", "\"timestep_type\": \"continuous\", \"prediction_type\": \"v_prediction\"", "timestep_type")]
    [InlineData("EulerDiscreteScheduler", "\"interpolation_type\": \"cubic\"", "interpolation_type")]
    [InlineData("HeunDiscreteScheduler", "\"use_beta_sigmas\": true", "use_beta_sigmas")]
    [InlineData("DDPMScheduler", "\"variance_type\": \"learned_range\"", "variance_type")]
    [InlineData("HeunDiscreteScheduler", "\"rescale_betas_zero_snr\": true", "rescale_betas_zero_snr")]
    public void AKeyThatIsNotImplementedIsRefusedByName(string className, string entry, string key)
    {
        var path = Write($$"""{"_class_name": "{{className}}", {{entry}}}""");
        var ex = Assert.Throws<InvalidDataException>(() => SamplerRegistry.FromFile(path));
        Assert.Contains(key, ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void AnotherClassReadsTheFileWithItsOwnDefaults()
    {
        // A DDPM file without timestep_spacing: diffusers' EulerDiscreteScheduler.from_config spaces by Euler's own
        // default (linspace) and has no clip_sample to carry.
        var path = Write("""{"_class_name": "DDPMScheduler", "clip_sample": true, "prediction_type": "sample", "set_alpha_to_one": false}""");
        var doc = SchedulerConfigJson.Read(path);
        Assert.Equal("leading", doc.Config.TimestepSpacing);
        var euler = SamplerRegistry.FromFile(path, "euler");
        Assert.Equal("linspace", euler.Config.TimestepSpacing);
        Assert.False(euler.Config.ClipSample);
        euler.SetTimesteps(1);
        using var scope = Torch.NewDisposeScope();
        var x = Torch.FromArray(new[] { 0.3 }, 1);
        // x0-hat = 5 is not clipped to 1 by Euler (DDPM would clip it).
        Assert.Equal(5.0, euler.Step(Torch.FromArray(new[] { 5.0 }, 1), euler.Timesteps[0], x).ToArray<double>()[0], 12);
        // Heun's own defaults: beta 0.00085 to 0.012, linear (its __init__), not DDPM's 1e-4 to 0.02.
        var heun = SchedulerConfigJson.Parse("""{"_class_name": "HeunDiscreteScheduler"}""").Config;
        Assert.Equal((0.00085, 0.012, "linear"), (heun.BetaStart, heun.BetaEnd, heun.BetaSchedule));
        // A key the class does not take is ignored as diffusers ignores it, and listed (DDPM has no set_alpha_to_one).
        Assert.Equal(["set_alpha_to_one"], doc.IgnoredKeys);
    }

    [Fact]
    public void DdimStepsByNOverNWhateverTheList()
    {
        // DDIM's trailing spacing of 3 steps evaluates 999, 666, 332 but steps 999 -> 666 -> 333 -> data (t - N // n).
        var ddim = new DdimScheduler(new SchedulerConfig { TimestepSpacing = "trailing", ClipSample = false, PredictionType = "sample" });
        ddim.SetTimesteps(3);
        var bar = ddim.Schedule.AlphasCumprod;
        using var scope = Torch.NewDisposeScope();
        var z = Torch.FromArray(new[] { 0.7 }, 1);
        var x0 = Torch.FromArray(new[] { 0.2 }, 1);
        var next = ddim.Step(x0, 666, z).ToArray<double>()[0];
        var eps = (0.7 - Math.Sqrt(bar[666]) * 0.2) / Math.Sqrt(1 - bar[666]);
        Assert.Equal(Math.Sqrt(bar[333]) * 0.2 + Math.Sqrt(1 - bar[333]) * eps, next, 12);
    }
}
