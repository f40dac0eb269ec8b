namespace DistillDiff.Diffusion.Samplers;

using DistillDiff.Engine;

/// <summary>
/// Heun's second-order method on the probability-flow ODE in sigma form (Karras et al. 2022, Alg. 1; diffusers'
/// HeunDiscreteScheduler). Each step needs two model calls, so, as in diffusers, Timesteps lists the base timesteps
/// with every one after the first repeated: [t0, t1, t1, t2, t2, ..., t_{n-1}, t_{n-1}] (2n - 1 entries), and Step is a
/// two-state machine that must be fed the entries in order:
/// <code>
///   first stage at t_i:    d_i = (x - x0-hat(x, sigma_i)) / sigma_i;  x' = x + (sigma_{i+1} - sigma_i) d_i   (Euler)
///   second stage at t_i+1: d' = (x' - x0-hat(x', sigma_{i+1})) / sigma_{i+1}
///                          x_{i+1} = x + (sigma_{i+1} - sigma_i) (d_i + d') / 2                             (eq. 7)
/// </code>
/// The last step ends at sigma = 0 and stays Euler (the correction would divide by 0). State is held outside dispose
/// scopes between the two stages and released after the second; SetTimesteps also drops it.
/// </summary>
public sealed class HeunDiscreteScheduler(SchedulerConfig config) : SigmaSchedulerBase(config)
{
    public const string DiffusersClassName = "HeunDiscreteScheduler";

    private long[] _base = [];
    private int _index;
    private Tensor? _derivative; // d_i of the pending first stage
    private Tensor? _sample;     // x at t_i
    private double _dt;

    public override string ClassName => DiffusersClassName;

    /// <summary>Whether the next Step is a first stage (false: it completes the pending step).</summary>
    public bool StateInFirstOrder => _derivative is null;

    public override void SetTimesteps(int numInferenceSteps)
    {
        _base = BaseTimesteps(numInferenceSteps);
        var list = new List<long> { _base[0] };
        for (var i = 1; i < _base.Length; i++) list.AddRange([_base[i], _base[i]]);
        SetTimestepList(list.ToArray());
        _index = 0;
        ClearState();
    }

    public override Tensor Step(Tensor modelOutput, long timestep, Tensor sample, Generator? gen = null)
    {
        CheckStepOrder(timestep, _index);
        using var scope = Torch.NewDisposeScope();
        Tensor result;
        if (StateInFirstOrder)
        {
            // 1. first stage: sigma_i -> sigma_{i+1} with the derivative at x (Euler)
            var i = _index / 2; // first stages sit at the even entries
            var sigma = SigmaOf(_base[i]);
            var sigmaNext = i + 1 < _base.Length ? SigmaOf(_base[i + 1]) : 0;
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
            // 2. second stage: average the derivatives at both ends (trapezoid, eq. 7), step again from x at t_i
            var sigmaNext = SigmaOf(timestep);
            var derivative = (sample - PredictOriginalSigma(modelOutput, sample, sigmaNext)) / sigmaNext;
            result = _sample! + (_derivative! + derivative) * (0.5 * _dt);
            ClearState();
        }
        _index++;
        return scope.MoveOut(result);
    }

    private void ClearState()
    {
        _derivative?.Dispose();
        _sample?.Dispose();
        (_derivative, _sample, _dt) = (null, null, 0);
    }
}
