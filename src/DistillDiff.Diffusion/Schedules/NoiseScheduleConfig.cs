namespace DistillDiff.Diffusion.Schedules;

/// <summary>
/// What <see cref="ScheduleRegistry"/> needs to build a schedule; diffusers' keys (beta_schedule, num_train_timesteps,
/// beta_start, beta_end, trained_betas, rescale_betas_zero_snr). Betas given in <see cref="TrainedBetas"/> win over
/// <see cref="Name"/>, as in diffusers.
/// </summary>
public sealed record NoiseScheduleConfig(
    string Name = "linear",               // beta_schedule: linear | scaled_linear | squaredcos_cap_v2 | sigmoid | cosine_logsnr
    int NumTrainTimesteps = 1000,         // N
    double BetaStart = 1e-4,              // beta_0 (linear, scaled_linear, sigmoid)
    double BetaEnd = 0.02,                // beta_{N-1} (linear, scaled_linear, sigmoid)
    bool RescaleZeroTerminalSnr = false,  // Lin et al. 2023: shift and scale sqrt(alpha-bar) so the last one is 0
    IReadOnlyList<double>? TrainedBetas = null);
