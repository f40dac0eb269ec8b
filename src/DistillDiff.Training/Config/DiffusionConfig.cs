namespace DistillDiff.Training.Config;

using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Samplers;
using DistillDiff.Diffusion.Schedules;
using DistillDiff.Recipes;

/// <summary>
/// The `diffusion:` section: noise schedule (a ScheduleRegistry name) and the network's parameterisation
/// (epsilon | sample | v | both; the student keeps the teacher's).
/// </summary>
public sealed record DiffusionConfig
{
    public string Schedule { get; init; } = "cosine_logsnr";
    [Range(1, 1000000)] public int NumTrainTimesteps { get; init; } = 1000;
    [Range(1e-12, 1)] public double BetaStart { get; init; } = 1e-4;
    [Range(1e-12, 1)] public double BetaEnd { get; init; } = 0.02;
    public bool RescaleZeroTerminalSnr { get; init; }
    public string Prediction { get; init; } = "v";

    public NoiseScheduleConfig ToScheduleConfig() => new(Schedule, NumTrainTimesteps, BetaStart, BetaEnd, RescaleZeroTerminalSnr);

    public Prediction ParsePrediction() => PredictionNames.Parse(Prediction);

    /// <summary>
    /// Scheduler settings for sampling this model with any registered sampler: its schedule, trailing spacing, no
    /// clipping, and its parameterisation ("both" is handed over as its mixed x0 prediction, which diffusers calls sample).
    /// </summary>
    public SchedulerConfig ToSchedulerConfig()
    {
        var prediction = ParsePrediction();
        return new SchedulerConfig
        {
            NumTrainTimesteps = NumTrainTimesteps,
            BetaSchedule = Schedule,
            BetaStart = BetaStart,
            BetaEnd = BetaEnd,
            RescaleBetasZeroSnr = RescaleZeroTerminalSnr,
            PredictionType = PredictionNames.ToName(prediction == Diffusion.Parameterisation.Prediction.Both ? Diffusion.Parameterisation.Prediction.Sample : prediction),
            TimestepSpacing = "trailing",
            ClipSample = false,
            SetAlphaToOne = true,
        };
    }
}
