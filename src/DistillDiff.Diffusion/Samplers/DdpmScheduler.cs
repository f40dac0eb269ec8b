namespace DistillDiff.Diffusion.Samplers;

using DistillDiff.Engine;

/// <summary>
/// Ancestral sampling from the DDPM posterior (Ho et al. 2020; diffusers' DDPMScheduler), strided over the inference
/// timesteps. Notation, for a step t -> s (s = the next entry of Timesteps, or the data):
/// <code>
///   a_t = alpha-bar_t, a_s = alpha-bar_s (1 at the data)    alpha_ts = a_t / a_s    beta_ts = 1 - alpha_ts
///   posterior mean    mu = sqrt(a_s) beta_ts / (1 - a_t) x0 + sqrt(alpha_ts) (1 - a_s) / (1 - a_t) z_t   (eq. 7)
///   fixed_small       var = max((1 - a_s) / (1 - a_t) beta_ts, 1e-20)   (posterior variance beta-tilde, eq. 7)
///   fixed_small_log   the same standard deviation, computed as exp(log(var) / 2)
///   fixed_large       var = beta_ts                                    (sec. 3.2)
/// </code>
/// Noise is added whenever t > 0, as diffusers does: with trailing spacing the last step (from t = N / n - 1 to the
/// data) is noised too, by 1e-10 for fixed_small and by sqrt(1 - a_t) for fixed_large.
/// </summary>
public sealed class DdpmScheduler(SchedulerConfig config) : SchedulerBase(config)
{
    public const string DiffusersClassName = "DDPMScheduler";

    public override string ClassName => DiffusersClassName;

    public override Tensor Step(Tensor modelOutput, double timestep, Tensor sample, Generator? gen = null)
    {
        using var scope = Torch.NewDisposeScope();
        // 1. previous timestep
        var t = Index(timestep);
        var prev = NextInList(timestep);

        // 2. alphas and betas of the (possibly strided) step
        var aT = AlphasCumprod[t];
        var aS = prev >= 0 ? AlphasCumprod[prev] : 1.0;
        var alphaTs = aT / aS;
        var betaTs = 1 - alphaTs;

        // 3. predicted x0 (eq. 15), clipped or thresholded
        var (x0, _) = PredictOriginal(modelOutput, sample, aT);

        // 4. posterior mean (eq. 7)
        var x0Coeff = Math.Sqrt(aS) * betaTs / (1 - aT);
        var sampleCoeff = Math.Sqrt(alphaTs) * (1 - aS) / (1 - aT);
        var prevSample = x0 * x0Coeff + sample * sampleCoeff;

        // 5. noise of the chosen variance wherever t > 0
        if (t > 0)
        {
            var variance = Config.VarianceType == "fixed_large" ? betaTs : Math.Max((1 - aS) / (1 - aT) * betaTs, 1e-20);
            prevSample = prevSample + Torch.RandnLike(sample, gen) * Math.Sqrt(variance);
        }
        return scope.MoveOut(prevSample);
    }
}
