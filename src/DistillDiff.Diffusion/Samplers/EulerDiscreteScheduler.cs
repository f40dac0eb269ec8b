namespace DistillDiff.Diffusion.Samplers;

using DistillDiff.Engine;

/// <summary>
/// Euler's method on the probability-flow ODE in sigma form (Karras et al. 2022, Alg. 1 without churn; diffusers'
/// EulerDiscreteScheduler), over the step sigmas s_0 > s_1 > ... of <see cref="SigmaSchedulerBase"/>:
/// <code>
///   d = (x_i - x0-hat) / s_i              (eq. 3: dx/dsigma)
///   x_{i+1} = x_i + (s_{i+1} - s_i) d      (after the last step s = 0, or sigma_min with final_sigmas_type sigma_min)
/// </code>
/// interpolation_type log_linear takes n + 1 log-uniform sigmas from sigma_max to sigma_min (diffusers does, so n steps
/// end at sigma_min, not 0). No clipping (diffusers' Euler has none). With exact x0-hat this is DDIM with eta = 0
/// written in x = z / alpha.
/// </summary>
public sealed class EulerDiscreteScheduler(SchedulerConfig config)
    : SigmaSchedulerBase(config, floorTerminalAlphaBar: config.RescaleBetasZeroSnr)
{
    public const string DiffusersClassName = "EulerDiscreteScheduler";

    public override string ClassName => DiffusersClassName;

    protected override bool HasClipSample => false;

    public override void SetTimesteps(int numInferenceSteps)
    {
        var n = numInferenceSteps;
        var ts = TimestepSpacing.Compute(Config.TimestepSpacing, NumTrainTimesteps, n, Config.StepsOffset, roundLinspace: false);
        var table = SigmaTable;
        var sigmas = Config.InterpolationType == "log_linear"
            ? TimestepSpacing.Linspace(Math.Log(table[^1]), Math.Log(table[0]), n + 1).Select(Math.Exp).ToArray()
            : ts.Select(Interp).ToArray();
        if (Config.UseKarrasSigmas || Config.UseExponentialSigmas)
        {
            var (min, max) = (Config.SigmaMin ?? sigmas[^1], Config.SigmaMax ?? sigmas[0]);
            sigmas = Config.UseKarrasSigmas ? Karras(min, max, n) : Exponential(min, max, n);
            ts = sigmas.Select(SigmaToT).ToArray();
        }
        var last = Config.FinalSigmasType == "sigma_min" ? table[0] : 0;
        SetSteps(ts, [.. sigmas, last], n);
    }

    public override Tensor Step(Tensor modelOutput, double timestep, Tensor sample, Generator? gen = null)
    {
        CheckStepOrder(timestep, StepIndex);
        using var scope = Torch.NewDisposeScope();
        // 1. sigma now and next
        var sigma = StepSigmas[StepIndex];
        var sigmaNext = StepSigmas[StepIndex + 1];

        // 2. x0-hat, then the ODE derivative (eq. 3)
        var x0 = PredictOriginalSigma(modelOutput, sample, sigma);
        var derivative = (sample - x0) / sigma;

        // 3. Euler step
        StepIndex++;
        return scope.MoveOut(sample + derivative * (sigmaNext - sigma));
    }
}
