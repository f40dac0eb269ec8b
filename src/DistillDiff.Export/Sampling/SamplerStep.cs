namespace DistillDiff.Export.Sampling;

/// <summary>
/// One step of the exported sampler: call the network at <see cref="Timestep"/>, turn its output into x0 with
/// (<see cref="Alpha"/>, <see cref="Sigma"/>), then move z to the next time with (<see cref="AlphaNext"/>,
/// <see cref="SigmaNext"/>) by deterministic DDIM. The last step has no next time: its x0 is the sample.
/// </summary>
/// <param name="T">Continuous time in [0, 1] (0 = data, 1 = noise).</param>
/// <param name="Timestep">The network's timestep input, t * num_train_timesteps - 1 in float32.</param>
public sealed record SamplerStep(double T, float Timestep, double Alpha, double Sigma, double? AlphaNext, double? SigmaNext);
