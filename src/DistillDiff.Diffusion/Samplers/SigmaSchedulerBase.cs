namespace DistillDiff.Diffusion.Samplers;

using DistillDiff.Engine;

/// <summary>
/// Schedulers in diffusers' sigma form (Karras et al. 2022, EDM): the sample is x_t = z_t / alpha_t = x + sigma_t eps with
/// sigma_t = sqrt((1 - alpha-bar_t) / alpha-bar_t) of the VP schedule, and the network sees z_t = x_t / sqrt(sigma_t^2 + 1).
/// sigma_t is read at the training indices themselves (no fractional timesteps), so each step's sigma is exactly the
/// VP schedule's at the timestep the network is told. With zero terminal SNR alpha-bar is floored at 2^-24 here, as
/// diffusers does, so the first sigma is large (4096) instead of infinite.
/// </summary>
public abstract class SigmaSchedulerBase : SchedulerBase
{
    /// <summary>Karras et al.'s rho for the use_karras_sigmas spacing.</summary>
    public const double KarrasRho = 7.0;

    private const double MinAlphaProd = 1.0 / (1 << 24);

    private readonly double[] _sigmas; // by training index

    protected SigmaSchedulerBase(SchedulerConfig config) : base(config)
    {
        _sigmas = new double[NumTrainTimesteps];
        for (var n = 0; n < _sigmas.Length; n++)
        {
            var bar = Math.Max(AlphasCumprod[n], MinAlphaProd);
            _sigmas[n] = Math.Sqrt((1 - bar) / bar);
        }
    }

    /// <summary>sigma of a training index; 0 for -1 (the data).</summary>
    public double SigmaOf(long timestep) => timestep < 0 ? 0 : _sigmas[timestep];

    /// <summary>sqrt(sigma_max^2 + 1): z ~ N(0, I) at the first timestep, in sigma form. (diffusers uses sigma_max
    /// alone for linspace and trailing spacing; the two differ by less than 1e-4 for the usual schedules.)</summary>
    public override double InitNoiseSigma
    {
        get
        {
            var first = Timesteps.Count > 0 ? Timesteps[0] : NumTrainTimesteps - 1;
            return Math.Sqrt(SigmaOf(first) * SigmaOf(first) + 1);
        }
    }

    /// <summary>The timesteps of n steps: the configured spacing, or with use_karras_sigmas Karras et al.'s
    /// sigma_i = (sigma_max^(1/rho) + i / (n - 1) (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho (eq. 5), each mapped to
    /// the training index of nearest log-sigma and nudged so the list stays strictly decreasing.</summary>
    protected long[] BaseTimesteps(int numInferenceSteps)
    {
        if (!Config.UseKarrasSigmas)
            return TimestepSpacing.Compute(Config.TimestepSpacing, NumTrainTimesteps, numInferenceSteps, Config.StepsOffset);
        var n = numInferenceSteps;
        if (n < 1 || n > NumTrainTimesteps)
            throw new ArgumentOutOfRangeException(nameof(numInferenceSteps), n, $"inference steps must be in [1, {NumTrainTimesteps}]");
        var (minInv, maxInv) = (Math.Pow(_sigmas[0], 1 / KarrasRho), Math.Pow(_sigmas[^1], 1 / KarrasRho));
        var ts = new long[n];
        for (var i = 0; i < n; i++)
        {
            var ramp = n == 1 ? 0 : (double)i / (n - 1);
            ts[i] = (long)Math.Round(IndexOfSigma(Math.Pow(maxInv + ramp * (minInv - maxInv), KarrasRho)), MidpointRounding.ToEven);
        }
        for (var i = n - 2; i >= 0; i--)
            if (ts[i] <= ts[i + 1]) ts[i] = ts[i + 1] + 1;
        return ts;
    }

    /// <summary>The fractional training index whose log-sigma is log(sigma) (diffusers' _sigma_to_t).</summary>
    private double IndexOfSigma(double sigma)
    {
        var log = Math.Log(sigma);
        var n = _sigmas.Length;
        if (log <= Math.Log(_sigmas[0])) return 0;
        if (log >= Math.Log(_sigmas[n - 1])) return n - 1;
        int lo = 0, hi = n - 1; // log sigma increases with the index
        while (hi - lo > 1)
        {
            var mid = (lo + hi) / 2;
            if (Math.Log(_sigmas[mid]) <= log) lo = mid;
            else hi = mid;
        }
        var (l0, l1) = (Math.Log(_sigmas[lo]), Math.Log(_sigmas[hi]));
        return lo + (log - l0) / (l1 - l0);
    }

    /// <summary>z_t = x_t / sqrt(sigma_t^2 + 1).</summary>
    public override Tensor ScaleModelInput(Tensor sample, long timestep) => sample / Math.Sqrt(SigmaOf(timestep) * SigmaOf(timestep) + 1);

    /// <summary>x_t = x0 + sigma_t eps (sigma form).</summary>
    public override Tensor AddNoise(Tensor originalSamples, Tensor noise, Tensor timesteps)
    {
        using var scope = Torch.NewDisposeScope();
        return scope.MoveOut(originalSamples + Gather(_sigmas, timesteps, originalSamples) * noise);
    }

    /// <summary>
    /// x0-hat from the model output, which the network computed from z = x / sqrt(sigma^2 + 1) (diffusers' Euler):
    /// epsilon: x0 = x - sigma eps; v: x0 = -sigma / sqrt(sigma^2 + 1) v + x / (sigma^2 + 1); sample: x0 = output.
    /// Clipped or thresholded as configured.
    /// </summary>
    protected Tensor PredictOriginalSigma(Tensor modelOutput, Tensor sample, double sigma)
    {
        using var scope = Torch.NewDisposeScope();
        var x0 = PredictionType switch
        {
            Parameterisation.Prediction.Epsilon => sample - modelOutput * sigma,
            Parameterisation.Prediction.V => modelOutput * (-sigma / Math.Sqrt(sigma * sigma + 1)) + sample / (sigma * sigma + 1),
            Parameterisation.Prediction.Sample => modelOutput.Alias(),
            _ => throw new InvalidOperationException($"prediction {PredictionType} is not a scheduler prediction_type"),
        };
        return scope.MoveOut(BoundOriginal(x0));
    }
}
