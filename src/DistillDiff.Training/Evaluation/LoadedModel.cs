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
/// A published model folder loaded for sampling: the network, its denoiser (schedule + parameterisation from
/// distilldiff.json, else scheduler_config.json), and any registered sampler by name ("pd" is the continuous-time
/// DDIM a progressive student was trained for).
/// </summary>
public sealed class LoadedModel : IEvalModel
{
    private readonly string? _schedulerPath;
    private readonly NoiseScheduleConfig? _exactSchedule;
    private StaticBackbone? _static;

    private LoadedModel(string folder, DenoiserBackbone model, Denoiser denoiser, string? schedulerPath, NoiseScheduleConfig scheduleConfig,
        bool exactSchedule, long[] sampleShape, int numClasses, int? distilledSteps)
    {
        (Folder, Model, Denoiser, _schedulerPath, ScheduleConfig, SampleShape, NumClasses, DistilledSteps) =
            (folder, model, denoiser, schedulerPath, scheduleConfig, sampleShape, numClasses, distilledSteps);
        _exactSchedule = exactSchedule ? scheduleConfig : null;
    }

    /// <summary>The schedule the denoiser uses: distilldiff.json's, else the one scheduler_config.json describes.</summary>
    public NoiseScheduleConfig ScheduleConfig { get; }

    /// <summary>distilldiff.json's sampling_steps: what a student was distilled for; null for a teacher or an older folder.</summary>
    public int? DistilledSteps { get; }

    public string Folder { get; }

    /// <summary>distilldiff.json's sampler: the SamplerRegistry name the model was trained for ("pd" when absent:
    /// teachers and progressive students of older folders).</summary>
    public string OwnSampler { get; private init; } = "pd";

    /// <summary>The folder's name: teacher, student-4steps, ...</summary>
    public string Name => Path.GetFileName(Path.TrimEndingDirectorySeparator(Folder));

    public DenoiserBackbone Model { get; }

    public Denoiser Denoiser { get; }

    /// <summary>One sample's shape without the batch dim: [C, H, W] or [D].</summary>
    public long[] SampleShape { get; }

    /// <summary>Class labels the model takes (0 for an unconditional model).</summary>
    public int NumClasses { get; }

    public bool IsImage => SampleShape.Length == 3;

    /// <summary>How <see cref="Sample"/> calls the network: eager (default), static buffers, or CUDA-graph replays.</summary>
    public SamplingPath SamplingPath { get; set; } = SamplingPath.Eager;

    /// <summary>Input signatures the static-buffer path has made buffers (and, on CUDA, graphs) for; 0 while eager.</summary>
    public int StaticSignatures => _static?.Signatures ?? 0;

    public static LoadedModel Load(string folder, Device device)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"model folder '{folder}' does not exist");
        var infoPath = Path.Combine(folder, ModelSetup.InfoFile);
        var info = new Dictionary<string, JsonElement>();
        if (File.Exists(infoPath))
        {
            try
            {
                info = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(File.ReadAllText(infoPath)) ?? info;
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{infoPath}: not valid JSON ({e.Message})", e);
            }
        }
        var (model, config) = ModelFolder.Load(folder, device);
        try
        {
            model.Eval();
            var scheduleCfg = new NoiseScheduleConfig(
                Str(info, "schedule") ?? "linear",
                Int(info, "num_train_timesteps") ?? 1000,
                Dbl(info, "beta_start") ?? 1e-4,
                Dbl(info, "beta_end") ?? 0.02,
                info.TryGetValue("rescale_zero_terminal_snr", out var z) && z.ValueKind == JsonValueKind.True);
            IScheduler? scheduler = null;
            var schedulerPath = Path.Combine(folder, "scheduler_config.json");
            if (File.Exists(schedulerPath))
            {
                scheduler = SamplerRegistry.FromFile(schedulerPath);
                if (!info.ContainsKey("schedule")) scheduleCfg = scheduler.Config.ToScheduleConfig();
            }
            var prediction = Str(info, "prediction") is { } p ? PredictionNames.Parse(p)
                : scheduler?.PredictionType ?? throw new InvalidDataException($"{folder}: neither {ModelSetup.InfoFile} nor scheduler_config.json says what the model predicts");
            var denoiser = new Denoiser(model, ScheduleRegistry.Create(scheduleCfg), prediction);
            var numClasses = config is IClassConditionalConfig { NumClassEmbeds: int n and > 0 } ? n : 0;
            return new LoadedModel(folder, model, denoiser, scheduler is null ? null : schedulerPath, scheduleCfg,
                info.ContainsKey("schedule"), ReadSampleShape(model, folder), numClasses, Int(info, "sampling_steps"))
            {
                OwnSampler = Str(info, "sampler") is { } own ? CheckedSampler(own, infoPath) : "pd",
            };
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Refuses a label the model has no embedding for, with the folder and the valid range.</summary>
    public void CheckLabel(int label)
    {
        if (NumClasses <= 0) throw new ArgumentException($"--label {label}: the model in {Folder} is not class-conditional");
        if (label < 0 || label >= NumClasses)
            throw new ArgumentException($"--label must be between 0 and {NumClasses - 1} (the model has {NumClasses} classes), got {label}");
    }

    /// <summary>Draws samples in <paramref name="steps"/> steps with any SamplerRegistry name ("pd", "few_step", "ddim", ...),
    /// built as diffusers' X.from_config would from the folder's scheduler_config.json.</summary>
    public Tensor Sample(string sampler, int steps, long count, Tensor? labels, Generator gen, Generator? stepNoise = null)
    {
        if (!SamplerRegistry.Names.Contains(sampler))
            throw new ArgumentException($"unknown sampler '{sampler}' (expected one of: {string.Join(", ", SamplerRegistry.Names)})");
        SchedulerConfig Adjust(SchedulerConfig c)
        {
            c = c with { PredictionType = PredictionNames.ToName(Denoiser.Prediction == Prediction.Both ? Prediction.Sample : Denoiser.Prediction) };
            // The project's own samplers (pd, few_step) run on the model's exact schedule from distilldiff.json: the
            // scheduler_config.json may hold it only as trained_betas, for diffusers' sake.
            return DiffusersSchedulerClasses.IsDiffusersClass(SamplerRegistry.ClassNameOf(sampler)) || _exactSchedule is not { } e
                ? c
                : c with
                {
                    BetaSchedule = e.Name, NumTrainTimesteps = e.NumTrainTimesteps, BetaStart = e.BetaStart,
                    BetaEnd = e.BetaEnd, RescaleBetasZeroSnr = e.RescaleZeroTerminalSnr, TrainedBetas = null,
                };
        }
        var chosen = _schedulerPath is null
            ? SamplerRegistry.Create(sampler, Adjust(SchedulerConfig.ForClass(SamplerRegistry.ClassNameOf(sampler))))
            : SamplerRegistry.FromFile(_schedulerPath, sampler, Adjust);
        return Diffusion.Samplers.Sampling.Sample(DenoiserFor(SamplingPath), chosen, steps, [count, .. SampleShape], labels, gen, stepNoise: stepNoise);
    }

    private static long[] ReadSampleShape(DenoiserBackbone model, string folder)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, ModelFolder.ConfigFile)));
        var root = doc.RootElement;
        if (root.TryGetProperty("sample_size", out var size) && size.ValueKind == JsonValueKind.Number)
            return [model.SampleChannels, size.GetInt32(), size.GetInt32()];
        return [model.SampleChannels];
    }

    // The static-buffer paths share one StaticBackbone (its buffers and graphs) per model, remade when the path changes.
    private Denoiser DenoiserFor(SamplingPath path)
    {
        if (path == SamplingPath.Eager) return Denoiser;
        var capture = path == SamplingPath.CudaGraph;
        if (_static is null || _static.CaptureGraphs != capture)
        {
            _static?.Dispose();
            _static = new StaticBackbone(Model, capture);
        }
        return Denoiser.WithBackboneCall(_static.Forward);
    }

    public void Dispose()
    {
        _static?.Dispose();
        Model.Dispose();
    }

    private static string CheckedSampler(string name, string infoPath) => SamplerRegistry.Names.Contains(name) ? name
        : throw new InvalidDataException($"{infoPath}: sampler '{name}' is not a registered sampler (one of: {string.Join(", ", SamplerRegistry.Names)})");

    private static string? Str(Dictionary<string, JsonElement> d, string k) => d.TryGetValue(k, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    private static int? Int(Dictionary<string, JsonElement> d, string k) => d.TryGetValue(k, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;
    private static double? Dbl(Dictionary<string, JsonElement> d, string k) => d.TryGetValue(k, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}
