namespace DistillDiff.Diffusion.Samplers;

using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Schedules;

/// <summary>
/// The scheduler_config.json of a published model folder: a DDIMScheduler that diffusers runs as it is and that
/// reproduces `distilldiff sample --steps N` (the continuous-time DDIM on t = i / N that students are distilled for):
/// trailing spacing puts the N evaluations at training indices N_train i / N - 1, i.e. t = (n + 1) / N_train = i / N;
/// DDIM steps t - N_train // N, the same points; set_alpha_to_one makes the last step land on the data; no clipping.
/// This is exact for every N that divides num_train_timesteps (1, 2, 4, 5, 8, 10, 20, 25, 40, 50, ... of 1000); for
/// other N diffusers' timesteps are rounded to integers and the two samplers differ.
/// <para>A schedule diffusers names (linear, scaled_linear, squaredcos_cap_v2) is written by name; any other
/// (cosine_logsnr, sigmoid, a zero-terminal-SNR rescale of the continuous curve) as its trained_betas, the betas of the
/// project's own table, already rescaled, so diffusers' cumprod gives the same alpha-bar. prediction_type is the
/// network's; "both" (an x head and an eps head) is written as "sample", what DistillDiff's sampler uses, but diffusers
/// cannot run a network with two heads.</para>
/// </summary>
public static class PublishedSchedulerConfig
{
    public const string ClassName = DdimScheduler.DiffusersClassName;

    public static SchedulerConfig For(NoiseScheduleConfig schedule, Prediction prediction)
    {
        var config = SchedulerConfig.ForClass(ClassName) with
        {
            NumTrainTimesteps = schedule.NumTrainTimesteps,
            PredictionType = PredictionNames.ToName(prediction == Prediction.Both ? Prediction.Sample : prediction),
            TimestepSpacing = "trailing",
            ClipSample = false,
            SetAlphaToOne = true,
            StepsOffset = 0,
        };
        var named = schedule.TrainedBetas is null && DiffusersSchedulerClasses.DiffusersBetaSchedules(ClassName).Contains(schedule.Name);
        if (named)
            return config with
            {
                BetaSchedule = schedule.Name, BetaStart = schedule.BetaStart, BetaEnd = schedule.BetaEnd,
                RescaleBetasZeroSnr = schedule.RescaleZeroTerminalSnr,
            };
        return config with { TrainedBetas = ScheduleRegistry.Create(schedule).Betas, RescaleBetasZeroSnr = false };
    }

    /// <summary>Writes <see cref="For"/> as diffusers' save_config would.</summary>
    public static void Write(string path, NoiseScheduleConfig schedule, Prediction prediction) =>
        SchedulerConfigJson.Write(path, ClassName, For(schedule, prediction));
}
