namespace DistillDiff.Training.Config;

using DistillDiff.Diffusion.Parameterisation;
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
}
