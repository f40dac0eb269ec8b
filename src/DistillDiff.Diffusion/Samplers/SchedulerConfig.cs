namespace DistillDiff.Diffusion.Samplers;

using DistillDiff.Diffusion.Schedules;

/// <summary>
/// Scheduler settings under diffusers' names (scheduler_config.json keys in brackets). The property defaults are
/// DDPMScheduler's / DDIMScheduler's; <see cref="ForClass"/> gives another class's (diffusers' defaults differ between
/// classes), and <see cref="DiffusersSchedulerClasses"/> says which keys each class accepts. A scheduler uses only the
/// keys its diffusers class accepts (Euler never clips, whatever <see cref="ClipSample"/> says, as in diffusers).
/// Equality compares trained_betas by value.
/// </summary>
public sealed record SchedulerConfig
{
    public int NumTrainTimesteps { get; init; } = 1000;            // num_train_timesteps: N
    public double BetaStart { get; init; } = 1e-4;                  // beta_start
    public double BetaEnd { get; init; } = 0.02;                    // beta_end
    public string BetaSchedule { get; init; } = "linear";           // beta_schedule: a ScheduleRegistry name
    public IReadOnlyList<double>? TrainedBetas { get; init; }       // trained_betas: explicit betas, win over beta_schedule
    public string? VarianceType { get; init; } = "fixed_small";     // variance_type: DDPM fixed_small | fixed_small_log | fixed_large; DPM null
    public bool ClipSample { get; init; } = true;                   // clip_sample (DDPM, DDIM, Heun): clamp x0-hat to +-clip_sample_range
    public double ClipSampleRange { get; init; } = 1.0;             // clip_sample_range
    public string PredictionType { get; init; } = "epsilon";        // prediction_type: epsilon | sample | v_prediction
    public bool Thresholding { get; init; }                         // thresholding (DDPM, DDIM, DPM): dynamic thresholding (Imagen)
    public double DynamicThresholdingRatio { get; init; } = 0.995;  // dynamic_thresholding_ratio: quantile of |x0-hat|
    public double SampleMaxValue { get; init; } = 1.0;              // sample_max_value: upper bound of the threshold
    public string TimestepSpacing { get; init; } = "leading";       // timestep_spacing: linspace | leading | trailing
    public int StepsOffset { get; init; }                           // steps_offset: added to "leading" timesteps
    public bool SetAlphaToOne { get; init; } = true;                // set_alpha_to_one (DDIM): final alpha-bar 1, else alpha-bar_0
    public bool RescaleBetasZeroSnr { get; init; }                  // rescale_betas_zero_snr (Lin et al. 2023)
    public bool UseKarrasSigmas { get; init; }                      // use_karras_sigmas (Euler, Heun, DPM): Karras rho-7 sigmas
    public bool UseExponentialSigmas { get; init; }                 // use_exponential_sigmas (Euler, Heun): log-uniform sigmas
    public bool UseBetaSigmas { get; init; }                        // use_beta_sigmas: not implemented (refused when true)
    public bool UseLuLambdas { get; init; }                         // use_lu_lambdas (DPM): uniform logSNR steps (Lu et al.)
    public bool UseFlowSigmas { get; init; }                        // use_flow_sigmas (DPM): not implemented (refused when true)
    public double FlowShift { get; init; } = 1.0;                   // flow_shift (DPM): only read with use_flow_sigmas
    public double? SigmaMin { get; init; }                          // sigma_min (Euler): Karras / exponential range, null = schedule's
    public double? SigmaMax { get; init; }                          // sigma_max (Euler)
    public string InterpolationType { get; init; } = "linear";      // interpolation_type (Euler): linear | log_linear
    public string TimestepType { get; init; } = "discrete";         // timestep_type (Euler): discrete (continuous only without v)
    public string FinalSigmasType { get; init; } = "zero";          // final_sigmas_type (Euler, DPM): zero | sigma_min
    public int SolverOrder { get; init; } = 2;                      // solver_order (DPM-Solver++): 1 or 2
    public string AlgorithmType { get; init; } = "dpmsolver++";     // algorithm_type (DPM): dpmsolver++
    public string SolverType { get; init; } = "midpoint";           // solver_type (DPM): midpoint | heun
    public bool LowerOrderFinal { get; init; } = true;              // lower_order_final (DPM): first order at the end when < 15 steps
    public bool EulerAtFinal { get; init; }                         // euler_at_final (DPM): first order at the last step
    public double LambdaMinClipped { get; init; } = double.NegativeInfinity; // lambda_min_clipped (DPM): drop steps with lower half-logSNR

    /// <summary>The noise schedule part.</summary>
    public NoiseScheduleConfig ToScheduleConfig() =>
        new(BetaSchedule, NumTrainTimesteps, BetaStart, BetaEnd, RescaleBetasZeroSnr, TrainedBetas);

    /// <summary>The defaults diffusers gives a class (a scheduler_config.json is read on top of these).</summary>
    public static SchedulerConfig ForClass(string? className) => DiffusersSchedulerClasses.Defaults(className);

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
        && UseExponentialSigmas == other.UseExponentialSigmas && UseBetaSigmas == other.UseBetaSigmas
        && UseLuLambdas == other.UseLuLambdas && UseFlowSigmas == other.UseFlowSigmas && FlowShift.Equals(other.FlowShift)
        && Nullable.Equals(SigmaMin, other.SigmaMin) && Nullable.Equals(SigmaMax, other.SigmaMax)
        && InterpolationType == other.InterpolationType && TimestepType == other.TimestepType
        && FinalSigmasType == other.FinalSigmasType && SolverOrder == other.SolverOrder && AlgorithmType == other.AlgorithmType
        && SolverType == other.SolverType && LowerOrderFinal == other.LowerOrderFinal && EulerAtFinal == other.EulerAtFinal
        && LambdaMinClipped.Equals(other.LambdaMinClipped);

    public override int GetHashCode() =>
        HashCode.Combine(NumTrainTimesteps, BetaStart, BetaEnd, BetaSchedule, PredictionType, TimestepSpacing, StepsOffset, TrainedBetas?.Count);
}
