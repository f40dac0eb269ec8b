namespace DistillDiff.Diffusion.Schedules;

/// <summary>
/// Noise schedules by name (diffusers' beta_schedule values plus "cosine_logsnr"). A config with trained_betas gets a
/// <see cref="DiscreteNoiseSchedule"/> of exactly those betas whatever its name, as diffusers does.
/// </summary>
public static class ScheduleRegistry
{
    private static readonly Dictionary<string, Func<NoiseScheduleConfig, NoiseSchedule>> Factories = new(StringComparer.Ordinal)
    {
        ["linear"] = c => new LinearSchedule(c.NumTrainTimesteps, c.BetaStart, c.BetaEnd, c.RescaleZeroTerminalSnr),
        ["scaled_linear"] = c => new ScaledLinearSchedule(c.NumTrainTimesteps, c.BetaStart, c.BetaEnd, c.RescaleZeroTerminalSnr),
        ["squaredcos_cap_v2"] = c => new CosineSchedule(c.NumTrainTimesteps, c.RescaleZeroTerminalSnr),
        ["sigmoid"] = c => new SigmoidSchedule(c.NumTrainTimesteps, c.BetaStart, c.BetaEnd, c.RescaleZeroTerminalSnr),
        ["cosine_logsnr"] = c => new CosineLogSnrSchedule(c.NumTrainTimesteps, c.RescaleZeroTerminalSnr),
    };

    public static IReadOnlyCollection<string> Names => Factories.Keys;

    /// <summary>Adds (or replaces) a named schedule.</summary>
    public static void Register(string name, Func<NoiseScheduleConfig, NoiseSchedule> factory) => Factories[name] = factory;

    public static NoiseSchedule Create(NoiseScheduleConfig config)
    {
        if (config.TrainedBetas is { } betas)
        {
            if (betas.Count != config.NumTrainTimesteps)
                throw new ArgumentException(
                    $"trained_betas has {betas.Count} values but num_train_timesteps is {config.NumTrainTimesteps}");
            return new DiscreteNoiseSchedule(betas, config.RescaleZeroTerminalSnr);
        }
        if (!Factories.TryGetValue(config.Name, out var factory))
            throw new ArgumentException(
                $"unknown beta_schedule '{config.Name}' (known: {string.Join(", ", Factories.Keys.Order(StringComparer.Ordinal))})");
        return factory(config);
    }

    /// <summary>Shorthand for <c>Create(new NoiseScheduleConfig(name, numTrainTimesteps))</c>.</summary>
    public static NoiseSchedule Create(string name, int numTrainTimesteps = 1000) => Create(new NoiseScheduleConfig(name, numTrainTimesteps));
}
