namespace DistillDiff.Diffusion.Samplers;

using DistillDiff.Engine;

/// <summary>
/// DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++", Alg. 2, midpoint form; diffusers' DPMSolverMultistepScheduler with
/// algorithm_type dpmsolver++, solver_type midpoint, final_sigmas_type zero). Data prediction with an exponential
/// integrator in lambda = log(alpha / sigma); for a step s -> t (t after s, less noisy), h = lambda_t - lambda_s:
/// <code>
///   first order (= DDIM):  z_t = (sigma_t / sigma_s) z_s - alpha_t (e^{-h} - 1) x0_s                     (eq. 5)
///   second order:          r = h_prev / h,  D = (x0_s - x0_prev) / r
///                          z_t = (sigma_t / sigma_s) z_s - alpha_t (e^{-h} - 1) x0_s - alpha_t (e^{-h} - 1) D / 2
/// </code>
/// The first step (no history) and the last (to the data: alpha = 1, sigma = 0, lambda = +inf, where the second-order
/// term is undefined) are first order: diffusers' lower_order_final, which keeps few-step sampling stable. The
/// model outputs of the previous step are kept outside dispose scopes and released at the end. With zero terminal SNR
/// alpha-bar is floored at 2^-24 (diffusers does the same) so lambda stays finite. solver_order 1 makes every step
/// first order (DDIM). Timesteps: linspace and leading spacing take n + 1 points and drop the last (as diffusers).
/// </summary>
public sealed class DpmSolverMultistepScheduler : SchedulerBase
{
    public const string DiffusersClassName = "DPMSolverMultistepScheduler";

    private const double MinAlphaProd = 1.0 / (1 << 24);

    private int _index;
    private Tensor? _previousX0;
    private double _previousLambda;

    public DpmSolverMultistepScheduler(SchedulerConfig config) : base(config)
    {
        if (config.SolverOrder is not (1 or 2))
            throw new ArgumentException($"solver_order {config.SolverOrder} is not supported (1 or 2; DPM-Solver++ 3M is not implemented)");
    }

    public override string ClassName => DiffusersClassName;

    public override void SetTimesteps(int numInferenceSteps)
    {
        var spacing = Config.TimestepSpacing;
        if (spacing == "trailing")
        {
            SetTimestepList(TimestepSpacing.Compute(spacing, NumTrainTimesteps, numInferenceSteps, Config.StepsOffset));
        }
        else
        {
            if (numInferenceSteps < 1 || numInferenceSteps >= NumTrainTimesteps)
                throw new ArgumentOutOfRangeException(nameof(numInferenceSteps), numInferenceSteps, $"must be in [1, {NumTrainTimesteps - 1}]");
            var points = TimestepSpacing.Compute(spacing, NumTrainTimesteps, numInferenceSteps + 1, Config.StepsOffset);
            SetTimestepList(points[..^1]);
        }
        _index = 0;
        ClearHistory();
    }

    public override Tensor Step(Tensor modelOutput, long timestep, Tensor sample, Generator? gen = null)
    {
        CheckStepOrder(timestep, _index);
        using var scope = Torch.NewDisposeScope();
        // 1. this point s and the next t (after the last timestep: the data, alpha = 1, sigma = 0)
        var next = _index + 1 < Timesteps.Count ? Timesteps[_index + 1] : -1;
        var (alphaS, sigmaS) = AlphaSigma(timestep);
        var (alphaT, sigmaT) = next >= 0 ? AlphaSigma(next) : (1.0, 0.0);
        var lambdaS = Math.Log(alphaS) - Math.Log(sigmaS);
        var lambdaT = next >= 0 ? Math.Log(alphaT) - Math.Log(sigmaT) : double.PositiveInfinity;
        var h = lambdaT - lambdaS;
        var phi = Math.Exp(-h) - 1; // e^{-h} - 1, -1 at the data

        // 2. data prediction x0_s (DPM-Solver++ solves in x0), clipped or thresholded
        var x0 = PredictX0(modelOutput, sample, alphaS, sigmaS);

        // 3. first-order update (eq. 5), plus the second-order correction where there is history and t is not the data
        var result = sample * (sigmaT / sigmaS) - x0 * (alphaT * phi);
        if (Config.SolverOrder == 2 && _previousX0 is not null && next >= 0)
        {
            var r = (lambdaS - _previousLambda) / h;
            result = result - (x0 - _previousX0) * (0.5 * alphaT * phi / r);
        }

        // 4. remember x0_s for the next step
        ClearHistory();
        if (next >= 0)
        {
            _previousX0 = DisposeScope.Detach(x0.Alias());
            _previousLambda = lambdaS;
        }
        _index++;
        return scope.MoveOut(result);
    }

    private (double Alpha, double Sigma) AlphaSigma(long timestep)
    {
        var bar = Math.Max(AlphasCumprod[timestep], MinAlphaProd);
        return (Math.Sqrt(bar), Math.Sqrt(1 - bar));
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
