namespace DistillDiff.Diffusion.Samplers;

using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Schedules;
using DistillDiff.Engine;

/// <summary>
/// A sampler with diffusers' verbs, so they swap freely: <c>SetTimesteps(n)</c>, then for each entry of
/// <see cref="Timesteps"/> (in order) evaluate the model on <c>ScaleModelInput(sample, t)</c> and call
/// <c>sample = Step(output, t, sample)</c>. Timesteps are training indices n (t = (n + 1) / N in continuous time), and
/// fractional where diffusers' are (Euler and Heun with linspace spacing or Karras sigmas): the network is then told the
/// fractional timestep, as diffusers tells it.
/// <para>The sample lives in the scheduler's own space: the VP z_t for DDPM, DDIM, DPM-Solver++ and the few-step
/// sampler; diffusers' sigma form x_t = z_t / alpha_t (= x + sigma_t eps with sigma_t^2 = (1 - alpha-bar) / alpha-bar)
/// for Euler and Heun, whose <see cref="ScaleModelInput"/> brings it back to z_t for the network.</para>
/// <para>Multistep and two-stage schedulers (DPM-Solver++, Heun) keep state between Step calls; SetTimesteps resets it.</para>
/// </summary>
public interface IScheduler
{
    /// <summary>diffusers' _class_name (DDIMScheduler, ...).</summary>
    string ClassName { get; }

    SchedulerConfig Config { get; }

    NoiseSchedule Schedule { get; }

    /// <summary>The meaning of Step's modelOutput (config prediction_type): Epsilon, Sample or V.</summary>
    Prediction PredictionType { get; }

    /// <summary>The training indices to evaluate, from noisiest to cleanest; empty before SetTimesteps.</summary>
    IReadOnlyList<double> Timesteps { get; }

    /// <summary>Standard deviation of the starting noise in the scheduler's sample space.</summary>
    double InitNoiseSigma { get; }

    void SetTimesteps(int numInferenceSteps);

    /// <summary>The network's input for this sample (the sample itself for VP schedulers).</summary>
    Tensor ScaleModelInput(Tensor sample, double timestep);

    /// <summary>One step from <paramref name="timestep"/> to the next entry of Timesteps (or to the data after the last).</summary>
    Tensor Step(Tensor modelOutput, double timestep, Tensor sample, Generator? gen = null);

    /// <summary>The continuous time the denoiser is evaluated at for an entry of Timesteps: t = (n + 1) / N for
    /// training indices; a scheduler whose grid is not made of training indices ("pd") maps its own.</summary>
    double TimeOf(double timestep) => Schedule.TimeOf(timestep);

    /// <summary>Noises clean samples to the given per-sample training indices [B] (int64), in the scheduler's sample space.</summary>
    Tensor AddNoise(Tensor originalSamples, Tensor noise, Tensor timesteps);
}
