namespace DistillDiff.Diffusion.Samplers;

using DistillDiff.Diffusion.Schedules;

/// <summary>
/// Scheduler settings under diffusers' names (scheduler_config.json keys in brackets); defaults are those of
/// DDPMScheduler / DDIMScheduler, <see cref="ForClass"/> gives another class's. Equality compares trained_betas by value.
/// </summary>
public sealed record SchedulerConfig
{
    public int NumTrainTimesteps { get; init; } = 1000;            // num_train_timesteps: N
    public double BetaStart { get; init; } = 1e-4;                  // beta_start
    public double BetaEnd { get; init; } = 0.02;                    // beta_end
    public string BetaSchedule { get; init; } = "linear";           // beta_schedule: a ScheduleRegistry name
    public IReadOnlyList<double>? TrainedBetas { get; init; }       // trained_betas: explicit betas, win over beta_schedule
    public string VarianceType { get; init; } = "fixed_small";      // variance_type (DDPM): fixed_small | fixed_large
    public bool ClipSample { get; init; } = true;                   // clip_sample: clamp x0-hat to +-clip_sample_range
    public double ClipSampleRange { get; init; } = 1.0;             // clip_sample_range
    public string PredictionType { get; init; } = "epsilon";        // prediction_type: epsilon | sample | v_prediction
    public bool Thresholding { get; init; }                         // thresholding: dynamic thresholding (Imagen), wins over clipping
    public double DynamicThresholdingRatio { get; init; } = 0.995;  // dynamic_thresholding_ratio: quantile of |x0-hat|
    public double SampleMaxValue { get; init; } = 1.0;              // sample_max_value: upper bound of the threshold
    public string TimestepSpacing { get; init; } = "leading";       // timestep_spacing: linspace | leading | trailing
    public int StepsOffset { get; init; }                           // steps_offset: added to "leading" timesteps
    public bool SetAlphaToOne { get; init; } = true;                // set_alpha_to_one (DDIM): final alpha-bar 1, else alpha-bar_0
    public bool RescaleBetasZeroSnr { get; init; }                  // rescale_betas_zero_snr (Lin et al. 2023)
    public bool UseKarrasSigmas { get; init; }                      // use_karras_sigmas (Euler, Heun, DPM): Karras rho-7 spacing
    public int SolverOrder { get; init; } = 2;                      // solver_order (DPM-Solver++): 1 or 2

    /// <summary>The noise schedule part.</summary>
    public NoiseScheduleConfig ToScheduleConfig() =>
        new(BetaSchedule, NumTrainTimesteps, BetaStart, BetaEnd, RescaleBetasZeroSnr, TrainedBetas);

    /// <summary>The defaults diffusers gives a class (timestep_spacing and clip_sample differ between them).</summary>
    public static SchedulerConfig ForClass(string? className) => className switch
    {
        "EulerDiscreteScheduler" or "HeunDiscreteScheduler" or "DPMSolverMultistepScheduler" =>
            new SchedulerConfig { TimestepSpacing = "linspace", ClipSample = false },
        FewStepScheduler.DiffusersClassName => new SchedulerConfig { TimestepSpacing = "trailing", ClipSample = false },
        _ => new SchedulerConfig(),
    };

    public bool Equals(SchedulerConfig? other) =>
        other is not null
        && NumTrainTimesteps == other.NumTrainTimesteps && BetaStart.Equals(other.BetaStart) && BetaEnd.Equals(other.BetaEnd)
        && BetaSchedule == other.BetaSchedule
        && (TrainedBetas is null ? other.TrainedBetas is null : other.TrainedBetas is not null && TrainedBetas.SequenceEqual(other.TrainedBetas))
        && VarianceType == other.VarianceType && ClipSample == other.ClipSample && ClipSampleRange.Equals(other.ClipSampleRange)
        && PredictionType == other.PredictionType && Thresholding == other.Thresholding
        && DynamicThresholdingRatio.Equals(other.DynamicThresholdingRatio) && SampleMaxValue.Equals(other.SampleMaxValue)
        && TimestepSpacing == other.TimestepSpacing && StepsOffset == other.StepsOffset && SetAlphaToOne == other.SetAlphaToOne
        && RescaleBetasZeroSnr == other.RescaleBetasZeroSnr && UseKarrasSigmas == other.UseKarrasSigmas
        && SolverOrder == other.SolverOrder;

    public override int GetHashCode() =>
        HashCode.Combine(NumTrainTimesteps, BetaStart, BetaEnd, BetaSchedule, PredictionType, TimestepSpacing, StepsOffset, TrainedBetas?.Count);
}
