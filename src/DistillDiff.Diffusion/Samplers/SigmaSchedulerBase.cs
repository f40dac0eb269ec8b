namespace DistillDiff.Diffusion.Samplers;

using DistillDiff.Engine;

/// <summary>
/// Schedulers in diffusers' sigma form (Karras et al. 2022, EDM): the sample is x_t = z_t / alpha_t = x + sigma_t eps with
/// sigma_t = sqrt((1 - alpha-bar_t) / alpha-bar_t) of the VP schedule, and the network sees z_t = x_t / sqrt(sigma_t^2 + 1).
/// As in diffusers, SetTimesteps makes a list of timesteps and one of sigmas (<see cref="StepSigmas"/>, one longer:
/// the last is where the last step lands), and Step walks them by a step counter:
/// <list type="bullet">
/// <item>timesteps from the spacing, fractional for linspace (numpy's linspace is not rounded here);</item>
/// <item>sigmas interpolated linearly in the timestep (np.interp on the training table), or Karras's rho-7 ramp, or
/// log-uniform (exponential) between the ends; the network is then told the fractional timestep of each sigma
/// (diffusers' _sigma_to_t, linear in log sigma).</item>
/// </list>
/// alpha-bar is floored at 2^-24 only where diffusers floors it: Euler (and DPM-Solver++) with rescale_betas_zero_snr,
/// so sigma_max is 4096 there; squaredcos_cap_v2 keeps its own tiny last alpha-bar (sigma_max about 20291).
/// </summary>
public abstract class SigmaSchedulerBase : SchedulerBase
{
    /// <summary>Karras et al.'s rho for the use_karras_sigmas spacing.</summary>
    public const double KarrasRho = 7.0;

    /// <summary>diffusers' floor of the last alpha-bar under zero terminal SNR (the smallest positive float16 subnormal).</summary>
    public const double MinAlphaProd = 1.0 / (1 << 24);

    private readonly double[] _sigmas;    // by training index
    private readonly double[] _logSigmas;

    protected SigmaSchedulerBase(SchedulerConfig config, bool floorTerminalAlphaBar) : base(config)
    {
        _sigmas = new double[NumTrainTimesteps];
        _logSigmas = new double[NumTrainTimesteps];
        for (var n = 0; n < _sigmas.Length; n++)
        {
            var bar = floorTerminalAlphaBar && n == _sigmas.Length - 1 ? MinAlphaProd : AlphasCumprod[n];
            _sigmas[n] = Math.Sqrt((1 - bar) / bar);
            _logSigmas[n] = Math.Log(_sigmas[n]);
        }
    }

    /// <summary>Sigma per step from the last SetTimesteps, plus where the last step lands (diffusers' self.sigmas).</summary>
    public IReadOnlyList<double> StepSigmas { get; private set; } = [];

    /// <summary>Steps taken since SetTimesteps (diffusers' step_index).</summary>
    protected int StepIndex { get; set; }

    /// <summary>sigma of a training index; 0 for -1 (the data).</summary>
    public double SigmaOf(long timestep) => timestep < 0 ? 0 : _sigmas[timestep];

    /// <summary>diffusers' init_noise_sigma: the largest sigma for linspace and trailing spacing, sqrt(sigma^2 + 1) for
    /// leading.</summary>
    public override double InitNoiseSigma
    {
        get
        {
            var max = StepSigmas.Count > 0 ? StepSigmas.Max() : _sigmas.Max();
            return Config.TimestepSpacing is "linspace" or "trailing" ? max : Math.Sqrt(max * max + 1);
        }
    }

    protected void SetSteps(double[] timesteps, double[] sigmas, int numInferenceSteps)
    {
        SetTimestepList(timesteps, numInferenceSteps);
        StepSigmas = sigmas;
        StepIndex = 0;
    }

    /// <summary>np.interp(t, arange(N), sigmas): linear between training indices, clamped at the ends.</summary>
    protected double Interp(double t)
    {
        if (t <= 0) return _sigmas[0];
        if (t >= _sigmas.Length - 1) return _sigmas[^1];
        var lo = (int)Math.Floor(t);
        var f = t - lo;
        return f == 0 ? _sigmas[lo] : _sigmas[lo] + f * (_sigmas[lo + 1] - _sigmas[lo]);
    }

    /// <summary>diffusers' _sigma_to_t: the fractional index whose log sigma is log(sigma), between the last index at or
    /// below it and the next (capped at N - 2), the weight clipped to [0, 1].</summary>
    protected double SigmaToT(double sigma)
    {
        var logSigma = Math.Log(Math.Max(sigma, 1e-10));
        // cumsum(dists >= 0).argmax(): the first index where the running count of "at or below" peaks.
        var count = 0; var best = -1; var lowIdx = 0;
        for (var j = 0; j < _logSigmas.Length; j++)
        {
            if (logSigma - _logSigmas[j] >= 0) count++;
            if (count > best) { best = count; lowIdx = j; }
        }
        lowIdx = Math.Min(lowIdx, _logSigmas.Length - 2);
        var (l, h) = (_logSigmas[lowIdx], _logSigmas[lowIdx + 1]);
        var w = Math.Clamp((l - logSigma) / (l - h), 0, 1);
        return (1 - w) * lowIdx + w * (lowIdx + 1);
    }

    /// <summary>Karras et al. eq. 5: (max^(1/rho) + i / (n - 1) (min^(1/rho) - max^(1/rho)))^rho, numpy's ramp.</summary>
    protected static double[] Karras(double sigmaMin, double sigmaMax, int n)
    {
        var ramp = TimestepSpacing.Linspace(0, 1, n);
        var (minInv, maxInv) = (Math.Pow(sigmaMin, 1 / KarrasRho), Math.Pow(sigmaMax, 1 / KarrasRho));
        return ramp.Select(r => Math.Pow(maxInv + r * (minInv - maxInv), KarrasRho)).ToArray();
    }

    /// <summary>exp(linspace(log max, log min, n)).</summary>
    protected static double[] Exponential(double sigmaMin, double sigmaMax, int n) =>
        TimestepSpacing.Linspace(Math.Log(sigmaMax), Math.Log(sigmaMin), n).Select(Math.Exp).ToArray();

    /// <summary>The sigmas of the training table (index 0 = least noisy).</summary>
    protected IReadOnlyList<double> SigmaTable => _sigmas;

    /// <summary>z_t = x_t / sqrt(sigma^2 + 1), sigma of the current step (diffusers' scale_model_input); a timestep that
    /// is not the current entry of Timesteps is taken as a training index with its own sigma.</summary>
    public override Tensor ScaleModelInput(Tensor sample, double timestep)
    {
        var sigma = StepIndex < Timesteps.Count && Timesteps[StepIndex] == timestep ? StepSigmas[StepIndex] : SigmaOf(Index(timestep));
        return sample / Math.Sqrt(sigma * sigma + 1);
    }

    /// <summary>x_t = x0 + sigma_t eps (sigma form) at training indices.</summary>
    public override Tensor AddNoise(Tensor originalSamples, Tensor noise, Tensor timesteps)
    {
        using var scope = Torch.NewDisposeScope();
        return scope.MoveOut(originalSamples + Gather(_sigmas, timesteps, originalSamples) * noise);
    }

    /// <summary>
    /// x0-hat from the model output, which the network computed from z = x / sqrt(sigma^2 + 1) (diffusers' Euler):
    /// epsilon: x0 = x - sigma eps; v: x0 = -sigma / sqrt(sigma^2 + 1) v + x / (sigma^2 + 1); sample: x0 = output.
    /// Clipped if the class clips (Heun).
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

    protected override bool HasThresholding => false;
}
