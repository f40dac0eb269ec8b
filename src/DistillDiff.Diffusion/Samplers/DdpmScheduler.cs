namespace DistillDiff.Diffusion.Samplers;

using DistillDiff.Engine;

/// <summary>
/// Ancestral sampling from the DDPM posterior (Ho et al. 2020; diffusers' DDPMScheduler), strided over the inference
/// timesteps. Notation, for a step t -> s (s = the previous timestep, or the data):
/// <code>
///   a_t = alpha-bar_t, a_s = alpha-bar_s (1 at the data)    alpha_ts = a_t / a_s    beta_ts = 1 - alpha_ts
///   posterior mean    mu = sqrt(a_s) beta_ts / (1 - a_t) x0 + sqrt(alpha_ts) (1 - a_s) / (1 - a_t) z_t   (eq. 7)
///   fixed_small       var = (1 - a_s) / (1 - a_t) beta_ts   (posterior variance beta-tilde, eq. 7)
///   fixed_large       var = beta_ts                          (sec. 3.2)
/// </code>
/// No noise is added on the step to the data (diffusers adds it whenever t > 0, which for fixed_large with strided
/// timesteps puts beta noise on the final output).
/// </summary>
public sealed class DdpmScheduler : SchedulerBase
{
    public const string DiffusersClassName = "DDPMScheduler";

    public DdpmScheduler(SchedulerConfig config) : base(config)
    {
        if (config.VarianceType is not ("fixed_small" or "fixed_large"))
            throw new ArgumentException($"variance_type '{config.VarianceType}' is not supported (fixed_small or fixed_large)");
    }

    public override string ClassName => DiffusersClassName;

    public override Tensor Step(Tensor modelOutput, long timestep, Tensor sample, Generator? gen = null)
    {
        using var scope = Torch.NewDisposeScope();
        // 1. previous timestep
        var prev = PreviousTimestep(timestep);

        // 2. alphas and betas of the (possibly strided) step
        var aT = AlphasCumprod[timestep];
        var aS = prev >= 0 ? AlphasCumprod[prev] : 1.0;
        var alphaTs = aT / aS;
        var betaTs = 1 - alphaTs;

        // 3. predicted x0 (eq. 15), clipped or thresholded
        var (x0, _) = PredictOriginal(modelOutput, sample, aT);

        // 4. posterior mean (eq. 7)
        var x0Coeff = Math.Sqrt(aS) * betaTs / (1 - aT);
        var sampleCoeff = Math.Sqrt(alphaTs) * (1 - aS) / (1 - aT);
        var prevSample = x0 * x0Coeff + sample * sampleCoeff;

        // 5. add noise of the chosen variance, except on the step to the data
        if (prev >= 0)
        {
            var variance = Config.VarianceType == "fixed_large" ? betaTs : Math.Max((1 - aS) / (1 - aT) * betaTs, 1e-20);
            prevSample = prevSample + Torch.RandnLike(sample, gen) * Math.Sqrt(variance);
        }
        return scope.MoveOut(prevSample);
    }
}
