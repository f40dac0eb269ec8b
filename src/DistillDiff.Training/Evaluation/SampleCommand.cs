namespace DistillDiff.Training.Evaluation;

using System.Text.Json;
using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Samplers;
using DistillDiff.Diffusion.Schedules;
using DistillDiff.Engine;
using DistillDiff.Models;
using DistillDiff.Models.Checkpoints;
using DistillDiff.Training.Trainers;

/// <summary>
/// `distilldiff sample`: loads a published model folder and draws a picture of samples with any SamplerRegistry
/// name ("pd", the continuous-time DDIM progressive students are trained for; "few_step" for adversarial students;
/// ddim, dpmpp_2m, euler, ...), built from the folder's scheduler_config.json.
/// </summary>
public static class SampleCommand
{
    public static string Run(string folder, int steps, string sampler, string outPath, int count, ulong seed, string device, int? label)
    {
        var dev = Device.Parse(device);
        var infoPath = Path.Combine(folder, ModelSetup.InfoFile);
        var info = File.Exists(infoPath)
            ? JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(File.ReadAllText(infoPath))!
            : new Dictionary<string, JsonElement>();
        var (model, modelConfig) = ModelFolder.Load(folder, dev);
        using var _m = model;
        if (label is int wanted)
        {
            // Checked here, not by the embedding lookup deep inside the model ("index out of range in self").
            var classes = (modelConfig as IClassConditionalConfig)?.NumClassEmbeds ?? 0;
            if (classes <= 0)
                throw new ArgumentException($"--label {wanted}: the model in {folder} is not class-conditional");
            if (wanted < 0 || wanted >= classes)
                throw new ArgumentException($"--label must be between 0 and {classes - 1} (the model has {classes} classes), got {wanted}");
        }
        model.Eval();
        var schedulerPath = Path.Combine(folder, "scheduler_config.json");
        var scheduleCfg = new NoiseScheduleConfig(
            Str(info, "schedule") ?? "linear",
            Int(info, "num_train_timesteps") ?? 1000,
            Dbl(info, "beta_start") ?? 1e-4,
            Dbl(info, "beta_end") ?? 0.02,
            info.TryGetValue("rescale_zero_terminal_snr", out var z) && z.ValueKind == JsonValueKind.True);
        Prediction prediction;
        IScheduler? scheduler = null;
        if (File.Exists(schedulerPath))
        {
            scheduler = SamplerRegistry.FromFile(schedulerPath);
            if (!info.ContainsKey("schedule"))
                scheduleCfg = scheduler.Config.ToScheduleConfig();
        }
        prediction = Str(info, "prediction") is { } p ? PredictionNames.Parse(p)
            : scheduler?.PredictionType ?? throw new InvalidDataException($"{folder}: neither {ModelSetup.InfoFile} nor scheduler_config.json says what the model predicts");
        var schedule = ScheduleRegistry.Create(scheduleCfg);
        var denoiser = new Denoiser(model, schedule, prediction);
        using var gen = new Generator(seed, dev);
        using var scope = Torch.NewDisposeScope();
        var shape = SampleShape(model, count, folder);
        var labels = label is int l ? Torch.Full([count], l, DType.Int64, dev) : null;
        SchedulerConfig Adjust(SchedulerConfig c)
        {
            c = c with { PredictionType = PredictionNames.ToName(prediction == Prediction.Both ? Prediction.Sample : prediction) };
            // The project's own samplers (pd, few_step) run on the model's exact schedule from distilldiff.json: the
            // scheduler_config.json may hold it only as trained_betas, for diffusers' sake.
            return DiffusersSchedulerClasses.IsDiffusersClass(SamplerRegistry.ClassNameOf(sampler)) || !info.ContainsKey("schedule")
                ? c
                : c with
                {
                    BetaSchedule = scheduleCfg.Name, NumTrainTimesteps = scheduleCfg.NumTrainTimesteps, BetaStart = scheduleCfg.BetaStart,
                    BetaEnd = scheduleCfg.BetaEnd, RescaleBetasZeroSnr = scheduleCfg.RescaleZeroTerminalSnr, TrainedBetas = null,
                };
        }
        // diffusers' X.from_config: the file read for the chosen class, with that class's defaults.
        var chosen = scheduler is null
            ? SamplerRegistry.Create(sampler, Adjust(SchedulerConfig.ForClass(SamplerRegistry.ClassNameOf(sampler))))
            : SamplerRegistry.FromFile(schedulerPath, sampler, Adjust);
        var samples = Diffusion.Samplers.Sampling.Sample(denoiser, chosen, steps, shape, labels, gen);
        SamplePicture.Save(samples, outPath);
        return $"{count} samples from {folder} in {steps} steps ({sampler}) -> {outPath}";
    }

    private static long[] SampleShape(DistillDiff.Models.DenoiserBackbone model, int count, string folder)
    {
        var configPath = Path.Combine(folder, ModelFolder.ConfigFile);
        using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
        var root = doc.RootElement;
        if (root.TryGetProperty("sample_size", out var size) && size.ValueKind == JsonValueKind.Number)
            return [count, model.SampleChannels, size.GetInt32(), size.GetInt32()];
        return [count, model.SampleChannels];
    }

    private static string? Str(Dictionary<string, JsonElement> d, string k) => d.TryGetValue(k, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    private static int? Int(Dictionary<string, JsonElement> d, string k) => d.TryGetValue(k, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;
    private static double? Dbl(Dictionary<string, JsonElement> d, string k) => d.TryGetValue(k, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}
