namespace DistillDiff.Export.Sampling;

using System.Text.Json;
using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Samplers;
using DistillDiff.Diffusion.Schedules;
using DistillDiff.Engine;
using DistillDiff.Models;
using DistillDiff.Models.Checkpoints;
using DistillDiff.Training.Evaluation;

/// <summary>
/// A published model folder with what `distilldiff sample` reads besides the weights: the schedule and
/// parameterisation from distilldiff.json (or scheduler_config.json), the sample shape from config.json, and the
/// step count it was distilled for. It is read by <see cref="LoadedModel"/>, so export samples what sample samples.
/// </summary>
public sealed class StudentFolder : IDisposable
{
    private StudentFolder(string path, DenoiserBackbone model, NoiseSchedule schedule, NoiseScheduleConfig scheduleConfig,
        Prediction prediction, long[] sampleShape, int? steps, int? numClasses)
    {
        (Path, Model, Schedule, ScheduleConfig, Prediction, SampleShape, DistilledSteps, NumClasses) =
            (path, model, schedule, scheduleConfig, prediction, sampleShape, steps, numClasses);
    }

    public string Path { get; }
    public DenoiserBackbone Model { get; }
    public NoiseSchedule Schedule { get; }
    public NoiseScheduleConfig ScheduleConfig { get; }
    public Prediction Prediction { get; }

    /// <summary>One sample's shape: [C, H, W] (config sample_size) or [D].</summary>
    public long[] SampleShape { get; }

    /// <summary>distilldiff.json's sampling_steps: what a student was distilled for; null for a teacher.</summary>
    public int? DistilledSteps { get; }

    public int? NumClasses { get; }

    public Denoiser Denoiser() => new(Model, Schedule, Prediction);

    /// <summary>
    /// Settings of the project's samplers on this model (as the training's DiffusionConfig.ToSchedulerConfig): the
    /// exact schedule and the parameterisation ("both" samples through its x head, as an x0 prediction).
    /// </summary>
    public SchedulerConfig PdSchedulerConfig() => new()
    {
        NumTrainTimesteps = ScheduleConfig.NumTrainTimesteps,
        BetaSchedule = ScheduleConfig.Name,
        BetaStart = ScheduleConfig.BetaStart,
        BetaEnd = ScheduleConfig.BetaEnd,
        RescaleBetasZeroSnr = ScheduleConfig.RescaleZeroTerminalSnr,
        TrainedBetas = ScheduleConfig.TrainedBetas,
        PredictionType = PredictionNames.ToName(Prediction == Prediction.Both ? Prediction.Sample : Prediction),
        TimestepSpacing = "trailing",
        ClipSample = false,
        SetAlphaToOne = true,
    };

    /// <summary>The N-step "pd" sampler (what `distilldiff sample` and the training's evaluation run) on the model folder's samples.</summary>
    public Tensor SamplePd(int steps, long batch, Tensor? labels, Generator gen) =>
        Sampling.Sample(Denoiser(), SamplerRegistry.Create("pd", PdSchedulerConfig()), steps, [batch, .. SampleShape], labels, gen);

    /// <summary>Reads the folder as `distilldiff sample` does (<see cref="LoadedModel"/>), plus the step count.</summary>
    public static StudentFolder Load(string folder, Device? device = null)
    {
        var m = LoadedModel.Load(folder, device ?? Device.CPU);
        return new StudentFolder(folder, m.Model, m.Denoiser.Schedule, m.ScheduleConfig, m.Denoiser.Prediction, m.SampleShape,
            m.DistilledSteps ?? StepsFromName(folder), m.NumClasses > 0 ? m.NumClasses : null);
    }

    /// <summary>
    /// The N-step sampler's numbers, computed as the pd sampler and Denoiser compute them: t_i = i / N, the network's
    /// timestep t * N_train - 1 in float32, alpha and sigma from the schedule.
    /// </summary>
    public SamplerSpec Spec(int steps, string modelFile = "model.onnx")
    {
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "--steps must be at least 1");
        var list = new List<SamplerStep>();
        for (var i = steps; i >= 1; i--)
        {
            double t = i / (double)steps, s = (i - 1) / (double)steps;
            // Denoiser: (t * N - 1) on a float32 tensor; float32 arithmetic here gives the same bits.
            var timestep = (float)t * Schedule.NumTrainTimesteps - 1f;
            list.Add(new SamplerStep(t, timestep, Schedule.Alpha(t), Schedule.Sigma(t),
                i == 1 ? null : Schedule.Alpha(s), i == 1 ? null : Schedule.Sigma(s)));
        }
        return new SamplerSpec
        {
            Model = modelFile,
            NumSteps = steps,
            Prediction = Prediction.ToString().ToLowerInvariant(), // epsilon, sample, v, both
            NumTrainTimesteps = Schedule.NumTrainTimesteps,
            SampleShape = SampleShape,
            ClassConditional = NumClasses is not null,
            NumClasses = NumClasses,
            Schedule = ScheduleConfig.Name + (ScheduleConfig.RescaleZeroTerminalSnr ? " (zero terminal SNR)" : ""),
            Steps = list,
        };
    }

    public void Dispose() => Model.Dispose();

    /// <summary>Training publishes students as models/student-{N}steps; older folders have no sampling_steps in distilldiff.json.</summary>
    private static int? StepsFromName(string folder)
    {
        var m = System.Text.RegularExpressions.Regex.Match(System.IO.Path.GetFileName(System.IO.Path.GetFullPath(folder).TrimEnd('/')), @"^student-(\d+)steps$");
        return m.Success ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
    }
}
