namespace DistillDiff.Diffusion.Samplers;

using DistillDiff.Engine;

/// <summary>
/// Heun's second-order method on the probability-flow ODE in sigma form (Karras et al. 2022, Alg. 1; diffusers'
/// HeunDiscreteScheduler). Each step needs two model calls, so, as in diffusers, Timesteps lists the base timesteps
/// with every one after the first repeated: [t0, t1, t1, t2, t2, ..., t_{n-1}, t_{n-1}] (2n - 1 entries), and Step is a
/// two-state machine that must be fed the entries in order:
/// <code>
///   first stage at s_i:    d_i = (x - x0-hat(x, s_i)) / s_i;  x' = x + (s_{i+1} - s_i) d_i              (Euler)
///   second stage at s_i+1: d' = (x' - x0-hat(x', s_{i+1})) / s_{i+1}
///                          x_{i+1} = x + (s_{i+1} - s_i) (d_i + d') / 2                             (eq. 7)
/// </code>
/// The last step ends at sigma = 0 and stays Euler (the correction would divide by 0). x0-hat is clipped with
/// clip_sample (diffusers' Heun has it, default off). No zero-terminal-SNR floor: diffusers' Heun has no
/// rescale_betas_zero_snr. Defaults (beta 0.00085 to 0.012, linear) are diffusers' Heun defaults when read from a file.
/// State is held outside dispose scopes between the two stages and released after the second; SetTimesteps drops it.
/// </summary>
public sealed class HeunDiscreteScheduler(SchedulerConfig config) : SigmaSchedulerBase(config, floorTerminalAlphaBar: false)
{
    public const string DiffusersClassName = "HeunDiscreteScheduler";

    private Tensor? _derivative; // d_i of the pending first stage
    private Tensor? _sample;     // x at s_i
    private double _dt;

    public override string ClassName => DiffusersClassName;

    /// <summary>Whether the next Step is a first stage (false: it completes the pending step).</summary>
    public bool StateInFirstOrder => _derivative is null;

    public override void SetTimesteps(int numInferenceSteps)
    {
        var n = numInferenceSteps;
        var ts = TimestepSpacing.Compute(Config.TimestepSpacing, NumTrainTimesteps, n, Config.StepsOffset, roundLinspace: false);
        var sigmas = ts.Select(Interp).ToArray();
        if (Config.UseKarrasSigmas || Config.UseExponentialSigmas)
        {
            sigmas = Config.UseKarrasSigmas ? Karras(sigmas[^1], sigmas[0], n) : Exponential(sigmas[^1], sigmas[0], n);
            ts = sigmas.Select(SigmaToT).ToArray();
        }
        var expandedT = new List<double> { ts[0] };
        var expandedS = new List<double> { sigmas[0] };
        for (var i = 1; i < n; i++)
        {
            expandedT.AddRange([ts[i], ts[i]]);
            expandedS.AddRange([sigmas[i], sigmas[i]]);
        }
        expandedS.Add(0);
        SetSteps(expandedT.ToArray(), expandedS.ToArray(), n);
        ClearState();
    }

    public override Tensor Step(Tensor modelOutput, double timestep, Tensor sample, Generator? gen = null)
    {
        CheckStepOrder(timestep, StepIndex);
        using var scope = Torch.NewDisposeScope();
        Tensor result;
        if (StateInFirstOrder)
        {
            // 1. first stage: s_i -> s_{i+1} with the derivative at x (Euler)
            var (sigma, sigmaNext) = (StepSigmas[StepIndex], StepSigmas[StepIndex + 1]);
            var derivative = (sample - PredictOriginalSigma(modelOutput, sample, sigma)) / sigma;
            result = sample + derivative * (sigmaNext - sigma);
            if (sigmaNext > 0)
            {
                _derivative = DisposeScope.Detach(derivative.Alias());
                _sample = DisposeScope.Detach(sample.Alias());
                _dt = sigmaNext - sigma;
            }
        }
        else
        {
            // 2. second stage: average the derivatives at both ends (trapezoid, eq. 7), step again from x at s_i
            var sigmaNext = StepSigmas[StepIndex];
            var derivative = (sample - PredictOriginalSigma(modelOutput, sample, sigmaNext)) / sigmaNext;
            result = _sample! + (_derivative! + derivative) * (0.5 * _dt);
            ClearState();
        }
        StepIndex++;
        return scope.MoveOut(result);
    }

    private void ClearState()
    {
        _derivative?.Dispose();
        _sample?.Dispose();
        (_derivative, _sample, _dt) = (null, null, 0);
    }
}
