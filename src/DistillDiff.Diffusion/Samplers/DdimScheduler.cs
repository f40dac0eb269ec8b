namespace DistillDiff.Diffusion.Samplers;

using DistillDiff.Engine;

/// <summary>
/// DDIM (Song et al. 2021; diffusers' DDIMScheduler). Notation, for a step t -> s:
/// <code>
///   s = t - N // n (diffusers' prev_timestep); a_t = alpha-bar_t, a_s = alpha-bar_s, and for s &lt; 0
///   a_s = 1 (set_alpha_to_one) or alpha-bar_0
///   sigma_eta = eta sqrt((1 - a_s) / (1 - a_t)) sqrt(1 - a_t / a_s)                          (eq. 16)
///   z_s = sqrt(a_s) x0-hat + sqrt(1 - a_s - sigma_eta^2) eps-hat + sigma_eta noise           (eq. 12)
/// </code>
/// eta = 0 is the deterministic sampler (the probability-flow ODE, first order); eta = 1 is DDPM's posterior with
/// fixed_small variance. s is t - N // n whatever the spacing, as in diffusers: with linspace spacing, or trailing
/// spacing where n does not divide N, the step lands off the next entry of Timesteps (4 linspace steps of 1000 go
/// 999 -> 749 and then evaluate the network at 666), and this scheduler does the same.
/// </summary>
public sealed class DdimScheduler(SchedulerConfig config, double eta = 0) : SchedulerBase(config)
{
    public const string DiffusersClassName = "DDIMScheduler";

    /// <summary>Weight of the fresh noise, eta in eq. 16 (diffusers passes it to step()).</summary>
    public double Eta { get; } = eta >= 0 ? eta : throw new ArgumentOutOfRangeException(nameof(eta), eta, "eta must be >= 0");

    public override string ClassName => DiffusersClassName;

    public override Tensor Step(Tensor modelOutput, double timestep, Tensor sample, Generator? gen = null)
    {
        if (NumInferenceSteps == 0) throw new InvalidOperationException("call SetTimesteps before Step");
        using var scope = Torch.NewDisposeScope();
        // 1. previous timestep
        var t = Index(timestep);
        var prev = t - NumTrainTimesteps / NumInferenceSteps;

        // 2. alpha-bar at both ends
        var aT = AlphasCumprod[t];
        var aS = prev >= 0 ? AlphasCumprod[prev] : Config.SetAlphaToOne ? 1.0 : AlphasCumprod[0];

        // 3. predicted x0 and eps (eq. 12's "predicted x_0"), x0 clipped or thresholded
        var (x0, eps) = PredictOriginal(modelOutput, sample, aT);

        // 4. sigma_eta (eq. 16)
        var variance = (1 - aS) / (1 - aT) * (1 - aT / aS);
        var std = Eta * Math.Sqrt(Math.Max(variance, 0));

        // 5. direction pointing to z_t, and z_s (eq. 12)
        var direction = Math.Sqrt(Math.Max(1 - aS - std * std, 0));
        var prevSample = x0 * Math.Sqrt(aS) + eps * direction;

        // 6. fresh noise for eta > 0
        if (std > 0) prevSample = prevSample + Torch.RandnLike(sample, gen) * std;
        return scope.MoveOut(prevSample);
    }
}
