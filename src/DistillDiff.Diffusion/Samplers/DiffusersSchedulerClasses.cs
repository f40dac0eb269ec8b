namespace DistillDiff.Diffusion.Samplers;

/// <summary>
/// What diffusers' five scheduler classes accept (their __init__ arguments, diffusers 0.31-0.35) and their defaults.
/// Reading a scheduler_config.json for class X is X.from_config: X's defaults, then the file's values of the keys X
/// accepts; keys X does not accept are ignored, as diffusers ignores them (so a DDIM file can drive Euler). Every key X
/// accepts is either implemented or, at a value other than its default, refused by name (see
/// <see cref="Check"/>), never ignored.
/// </summary>
public static class DiffusersSchedulerClasses
{
    private static readonly string[] Common =
        ["num_train_timesteps", "beta_start", "beta_end", "beta_schedule", "trained_betas", "prediction_type", "timestep_spacing", "steps_offset"];

    private static readonly string[] Thresholds = ["thresholding", "dynamic_thresholding_ratio", "sample_max_value"];

    private static readonly Dictionary<string, string[]> Accepted = new(StringComparer.Ordinal)
    {
        [DdpmScheduler.DiffusersClassName] =
            [.. Common, .. Thresholds, "variance_type", "clip_sample", "clip_sample_range", "rescale_betas_zero_snr"],
        [DdimScheduler.DiffusersClassName] =
            [.. Common, .. Thresholds, "clip_sample", "clip_sample_range", "set_alpha_to_one", "rescale_betas_zero_snr"],
        [EulerDiscreteScheduler.DiffusersClassName] =
            [.. Common, "interpolation_type", "use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas", "sigma_min",
             "sigma_max", "timestep_type", "rescale_betas_zero_snr", "final_sigmas_type"],
        [HeunDiscreteScheduler.DiffusersClassName] =
            [.. Common, "use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas", "clip_sample", "clip_sample_range"],
        [DpmSolverMultistepScheduler.DiffusersClassName] =
            [.. Common, .. Thresholds, "solver_order", "algorithm_type", "solver_type", "lower_order_final", "euler_at_final",
             "use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas", "use_lu_lambdas", "use_flow_sigmas", "flow_shift",
             "final_sigmas_type", "lambda_min_clipped", "variance_type", "rescale_betas_zero_snr"],
        // Ours, not diffusers': DDIM's keys.
        [FewStepScheduler.DiffusersClassName] =
            [.. Common, .. Thresholds, "clip_sample", "clip_sample_range", "rescale_betas_zero_snr"],
    };

    /// <summary>The beta_schedule names each diffusers class knows (the project's own, e.g. cosine_logsnr, are accepted
    /// too, as an extension: diffusers itself refuses them, which is why published folders write trained_betas).</summary>
    public static IReadOnlyList<string> DiffusersBetaSchedules(string className) => className switch
    {
        DdpmScheduler.DiffusersClassName => ["linear", "scaled_linear", "squaredcos_cap_v2", "sigmoid"],
        HeunDiscreteScheduler.DiffusersClassName => ["linear", "scaled_linear", "squaredcos_cap_v2", "exp"],
        _ => ["linear", "scaled_linear", "squaredcos_cap_v2"],
    };

    public static IReadOnlyCollection<string> ClassNames => Accepted.Keys;

    /// <summary>Whether <paramref name="className"/> is one of diffusers' own classes (not one of the project's samplers).</summary>
    public static bool IsDiffusersClass(string className) => className is DdpmScheduler.DiffusersClassName
        or DdimScheduler.DiffusersClassName or EulerDiscreteScheduler.DiffusersClassName
        or HeunDiscreteScheduler.DiffusersClassName or DpmSolverMultistepScheduler.DiffusersClassName;

    /// <summary>Whether diffusers' <paramref name="className"/> takes <paramref name="key"/> (an unknown class takes DDIM's keys).</summary>
    public static bool Accepts(string? className, string key) =>
        (Accepted.TryGetValue(className ?? "", out var keys) ? keys : Accepted[DdimScheduler.DiffusersClassName]).Contains(key);

    /// <summary>diffusers' defaults for a class (DDIM's for null or an unknown name).</summary>
    public static SchedulerConfig Defaults(string? className) => className switch
    {
        EulerDiscreteScheduler.DiffusersClassName =>
            new SchedulerConfig { TimestepSpacing = "linspace", ClipSample = false, VarianceType = null },
        HeunDiscreteScheduler.DiffusersClassName =>
            new SchedulerConfig { BetaStart = 0.00085, BetaEnd = 0.012, TimestepSpacing = "linspace", ClipSample = false, VarianceType = null },
        DpmSolverMultistepScheduler.DiffusersClassName =>
            new SchedulerConfig { TimestepSpacing = "linspace", ClipSample = false, VarianceType = null },
        FewStepScheduler.DiffusersClassName => new SchedulerConfig { TimestepSpacing = "trailing", ClipSample = false },
        _ => new SchedulerConfig(),
    };

    /// <summary>
    /// Refuses, naming the key, every setting <paramref name="className"/> accepts in diffusers whose value this project
    /// does not implement (each at its diffusers default passes).
    /// </summary>
    internal static void Check(string className, SchedulerConfig c)
    {
        void Refuse(string key, object? value, string why) =>
            throw new ArgumentException($"{className}: {key} = {Format(value)} is not implemented ({why})");

        if (c.RescaleBetasZeroSnr && !Accepts(className, "rescale_betas_zero_snr"))
            throw new ArgumentException(
                $"{className} has no rescale_betas_zero_snr in diffusers (it would sample the unrescaled schedule); use a scheduler that has it");
        if (c.UseBetaSigmas && Accepts(className, "use_beta_sigmas")) Refuse("use_beta_sigmas", true, "needs scipy's beta quantile; use use_karras_sigmas or the default spacing");
        if (c.UseFlowSigmas && Accepts(className, "use_flow_sigmas")) Refuse("use_flow_sigmas", true, "flow-matching models are not VP models");
        if (Accepts(className, "timestep_type") && c.TimestepType != "discrete")
        {
            if (c.TimestepType != "continuous") Refuse("timestep_type", c.TimestepType, "expected discrete or continuous");
            if (c.PredictionType == "v_prediction") Refuse("timestep_type", c.TimestepType, "with v_prediction diffusers feeds the network 0.25 log sigma, an EDM time this project's models do not take");
        }
        if (Accepts(className, "interpolation_type") && c.InterpolationType is not ("linear" or "log_linear"))
            Refuse("interpolation_type", c.InterpolationType, "expected linear or log_linear");
        if (Accepts(className, "final_sigmas_type") && c.FinalSigmasType is not ("zero" or "sigma_min"))
            Refuse("final_sigmas_type", c.FinalSigmasType, "expected zero or sigma_min");
        if (Accepts(className, "solver_order") && c.SolverOrder is not (1 or 2))
            Refuse("solver_order", c.SolverOrder, "1 or 2; DPM-Solver++ 3M is not implemented");
        if (Accepts(className, "algorithm_type") && c.AlgorithmType != "dpmsolver++")
            Refuse("algorithm_type", c.AlgorithmType, "only dpmsolver++ is; dpmsolver, sde-dpmsolver and sde-dpmsolver++ are not");
        if (Accepts(className, "solver_type") && c.SolverType is not ("midpoint" or "heun"))
            Refuse("solver_type", c.SolverType, "expected midpoint or heun");
        if (className == DpmSolverMultistepScheduler.DiffusersClassName)
        {
            if (c.VarianceType is "learned" or "learned_range") Refuse("variance_type", c.VarianceType, "learned variances need a network with twice the channels");
            if (c.UseExponentialSigmas) Refuse("use_exponential_sigmas", true, "not implemented for DPM-Solver++; use use_karras_sigmas or use_lu_lambdas");
            if (new[] { c.UseKarrasSigmas, c.UseLuLambdas }.Count(b => b) > 1)
                throw new ArgumentException($"{className}: use_karras_sigmas and use_lu_lambdas cannot both be true");
        }
        if (className == DdpmScheduler.DiffusersClassName && c.VarianceType is not ("fixed_small" or "fixed_small_log" or "fixed_large"))
            Refuse("variance_type", c.VarianceType, "fixed_small, fixed_small_log or fixed_large; learned variances need a network with twice the channels");
        if (Accepts(className, "use_exponential_sigmas") && c.UseKarrasSigmas && c.UseExponentialSigmas)
            throw new ArgumentException($"{className}: use_karras_sigmas and use_exponential_sigmas cannot both be true");
    }

    private static string Format(object? value) => value switch
    {
        null => "null",
        string s => $"'{s}'",
        bool b => b ? "true" : "false",
        _ => value.ToString()!,
    };
}
