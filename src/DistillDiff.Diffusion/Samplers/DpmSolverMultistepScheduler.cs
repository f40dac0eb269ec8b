namespace DistillDiff.Diffusion.Samplers;

using DistillDiff.Engine;

/// <summary>
/// DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++", Alg. 2; diffusers' DPMSolverMultistepScheduler with algorithm_type
/// dpmsolver++). Data prediction with an exponential integrator in lambda = log(alpha / sigma), over the step sigmas
/// s_i (sigma form, alpha = 1 / sqrt(s^2 + 1), sigma = s alpha); for a step s -> t (less noisy), h = lambda_t - lambda_s:
/// <code>
///   first order (= DDIM):   z_t = (sigma_t / sigma_s) z_s - alpha_t (e^{-h} - 1) x0_s                     (eq. 5)
///   second order, r = h_prev / h, D = (x0_s - x0_prev) / r:
///     midpoint:             z_t = first order - alpha_t (e^{-h} - 1) D / 2
///     heun:                 z_t = first order + alpha_t ((e^{-h} - 1) / h + 1) D
/// </code>
/// As in diffusers: the first step is first order (no history); the last is first order when it lands on sigma = 0
/// (final_sigmas_type zero), with euler_at_final, or with lower_order_final and fewer than 15 steps. Timesteps: n + 1
/// linspace or leading points without the last, trailing as usual, all below the lambda_min_clipped cut; Karras
/// sigmas (over the whole training range) and Lu's uniform-lambda sigmas keep their exact sigmas and round the
/// timestep told to the network. alpha-bar is floored at 2^-24 only with rescale_betas_zero_snr. x0 is thresholded
/// (thresholding), never clipped (the class has no clip_sample). The previous x0 is kept outside dispose scopes.
/// </summary>
public sealed class DpmSolverMultistepScheduler : SchedulerBase
{
    public const string DiffusersClassName = "DPMSolverMultistepScheduler";

    private readonly double[] _sigmaTable; // sqrt((1 - a) / a) by training index
    private double[] _sigmas = [];
    private int _index;
    private int _lowerOrderNums;
    private Tensor? _previousX0;

    public DpmSolverMultistepScheduler(SchedulerConfig config) : base(config)
    {
        var bar = (double[])AlphasCumprod.Clone();
        if (config.RescaleBetasZeroSnr) bar[^1] = SigmaSchedulerBase.MinAlphaProd;
        _sigmaTable = bar.Select(a => Math.Sqrt((1 - a) / a)).ToArray();
        HalfLogSnr = bar.Select(a => Math.Log(Math.Sqrt(a)) - Math.Log(Math.Sqrt(1 - a))).ToArray();
    }

    public override string ClassName => DiffusersClassName;

    protected override bool HasClipSample => false;

    /// <summary>diffusers' lambda_t = log alpha_t - log sigma_t by training index.</summary>
    private double[] HalfLogSnr { get; }

    /// <summary>Sigma per step, plus where the last step lands (diffusers' self.sigmas).</summary>
    public IReadOnlyList<double> StepSigmas => _sigmas;

    public override void SetTimesteps(int numInferenceSteps)
    {
        var (big, n) = (NumTrainTimesteps, numInferenceSteps);
        if (n < 1 || n > big) throw new ArgumentOutOfRangeException(nameof(numInferenceSteps), n, $"inference steps must be in [1, {big}]");
        // searchsorted(flip(lambda_t), lambda_min_clipped): training steps whose lambda is below the cut are not used.
        var clipped = HalfLogSnr.Reverse().Count(l => l < Config.LambdaMinClipped);
        var last = big - clipped;
        double[] ts;
        switch (Config.TimestepSpacing)
        {
            case "linspace":
                ts = TimestepSpacing.Linspace(0, last - 1, n + 1).Select(TimestepSpacing.RoundHalfEven).Reverse().Take(n).ToArray();
                break;
            case "leading":
                var ratio = last / (n + 1);
                ts = Enumerable.Range(0, n + 1).Select(i => (double)i * ratio).Reverse().Take(n).Select(t => t + Config.StepsOffset).ToArray();
                break;
            default:
                ts = TimestepSpacing.Trailing(last, big, n);
                break;
        }
        double[] sigmas;
        if (Config.UseKarrasSigmas || Config.UseLuLambdas)
        {
            var (min, max) = (_sigmaTable[0], _sigmaTable[^1]);
            sigmas = Config.UseKarrasSigmas
                ? KarrasSigmas(min, max, n)
                : TimestepSpacing.Linspace(Math.Log(max), Math.Log(min), n).Select(Math.Exp).ToArray(); // Lu: uniform log sigma = uniform lambda
            ts = sigmas.Select(s => TimestepSpacing.RoundHalfEven(SigmaToT(s))).ToArray();
        }
        else
        {
            sigmas = ts.Select(t => _sigmaTable[(long)t]).ToArray();
        }
        foreach (var t in ts)
            if (t < 0 || t > big - 1) throw new ArgumentException($"{ClassName}: {n} steps give timestep {t}, outside [0, {big - 1}]");
        _sigmas = [.. sigmas, Config.FinalSigmasType == "sigma_min" ? _sigmaTable[0] : 0];
        SetTimestepList(ts, n);
        _index = 0;
        _lowerOrderNums = 0;
        ClearHistory();
    }

    public override Tensor Step(Tensor modelOutput, double timestep, Tensor sample, Generator? gen = null)
    {
        CheckStepOrder(timestep, _index);
        using var scope = Torch.NewDisposeScope();
        var n = Timesteps.Count;
        // 1. this point s and the next t, in alpha, sigma and lambda (at sigma = 0: alpha 1, lambda +inf, e^{-h} = 0)
        var (alphaS, sigmaS) = AlphaSigma(_sigmas[_index]);
        var (alphaT, sigmaT) = AlphaSigma(_sigmas[_index + 1]);
        var lambdaS = Math.Log(alphaS) - Math.Log(sigmaS);
        var lambdaT = Math.Log(alphaT) - Math.Log(sigmaT);
        var h = lambdaT - lambdaS;
        var phi = Math.Exp(-h) - 1;
        var lowerOrderFinal = _index == n - 1
            && (Config.EulerAtFinal || (Config.LowerOrderFinal && n < 15) || Config.FinalSigmasType == "zero");

        // 2. data prediction x0_s (DPM-Solver++ solves in x0), thresholded
        var x0 = PredictX0(modelOutput, sample, alphaS, sigmaS);

        // 3. first-order update (eq. 5), plus the second-order term where diffusers takes it
        var result = sample * (sigmaT / sigmaS) - x0 * (alphaT * phi);
        if (Config.SolverOrder == 2 && _lowerOrderNums >= 1 && !lowerOrderFinal)
        {
            var (alphaP, sigmaP) = AlphaSigma(_sigmas[_index - 1]);
            var r = (lambdaS - (Math.Log(alphaP) - Math.Log(sigmaP))) / h;
            var d = (x0 - _previousX0!) / r;
            result = Config.SolverType == "heun"
                ? result + d * (alphaT * (phi / h + 1))
                : result - d * (0.5 * alphaT * phi);
        }

        // 4. remember x0_s for the next step
        ClearHistory();
        _previousX0 = DisposeScope.Detach(x0.Alias());
        if (_lowerOrderNums < Config.SolverOrder) _lowerOrderNums++;
        _index++;
        if (_index == n) ClearHistory();
        return scope.MoveOut(result);
    }

    /// <summary>diffusers' _sigma_to_alpha_sigma_t.</summary>
    private static (double Alpha, double Sigma) AlphaSigma(double s)
    {
        var alpha = 1 / Math.Sqrt(s * s + 1);
        return (alpha, s * alpha);
    }

    private static double[] KarrasSigmas(double min, double max, int n)
    {
        var ramp = TimestepSpacing.Linspace(0, 1, n);
        var (minInv, maxInv) = (Math.Pow(min, 1 / SigmaSchedulerBase.KarrasRho), Math.Pow(max, 1 / SigmaSchedulerBase.KarrasRho));
        return ramp.Select(r => Math.Pow(maxInv + r * (minInv - maxInv), SigmaSchedulerBase.KarrasRho)).ToArray();
    }

    /// <summary>diffusers' _sigma_to_t on this scheduler's table.</summary>
    private double SigmaToT(double sigma)
    {
        var logSigma = Math.Log(Math.Max(sigma, 1e-10));
        var logs = _sigmaTable.Select(s => Math.Log(s)).ToArray();
        int count = 0, best = -1, low = 0;
        for (var j = 0; j < logs.Length; j++)
        {
            if (logSigma - logs[j] >= 0) count++;
            if (count > best) (best, low) = (count, j);
        }
        low = Math.Min(low, logs.Length - 2);
        var w = Math.Clamp((logs[low] - logSigma) / (logs[low] - logs[low + 1]), 0, 1);
        return (1 - w) * low + w * (low + 1);
    }

    private Tensor PredictX0(Tensor modelOutput, Tensor sample, double alpha, double sigma)
    {
        using var scope = Torch.NewDisposeScope();
        var x0 = PredictionType switch
        {
            Parameterisation.Prediction.Epsilon => Parameterisation.Conversions.XFromEps(sample, modelOutput, alpha, sigma),
            Parameterisation.Prediction.Sample => modelOutput.Alias(),
            Parameterisation.Prediction.V => Parameterisation.Conversions.XFromV(sample, modelOutput, alpha, sigma),
            _ => throw new InvalidOperationException($"prediction {PredictionType} is not a scheduler prediction_type"),
        };
        return scope.MoveOut(BoundOriginal(x0));
    }

    private void ClearHistory()
    {
        _previousX0?.Dispose();
        _previousX0 = null;
    }
}
