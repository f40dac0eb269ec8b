namespace DistillDiff.Diffusion.Samplers;

using DistillDiff.Engine;

/// <summary>
/// Euler's method on the probability-flow ODE in sigma form (Karras et al. 2022, Alg. 1 without churn; diffusers'
/// EulerDiscreteScheduler):
/// <code>
///   d = (x_t - x0-hat) / sigma_t          (eq. 3: dx/dsigma)
///   x_s = x_t + (sigma_s - sigma_t) d     (sigma_s = 0 after the last timestep)
/// </code>
/// With exact x0-hat this is DDIM with eta = 0 written in x = z / alpha (the same samples from the same noise).
/// </summary>
public sealed class EulerDiscreteScheduler(SchedulerConfig config) : SigmaSchedulerBase(config)
{
    public const string DiffusersClassName = "EulerDiscreteScheduler";

    public override string ClassName => DiffusersClassName;

    public override void SetTimesteps(int numInferenceSteps) => SetTimestepList(BaseTimesteps(numInferenceSteps));

    public override Tensor Step(Tensor modelOutput, long timestep, Tensor sample, Generator? gen = null)
    {
        using var scope = Torch.NewDisposeScope();
        // 1. sigma now and next
        var sigma = SigmaOf(timestep);
        var sigmaNext = SigmaOf(PreviousTimestep(timestep));

        // 2. x0-hat, then the ODE derivative (eq. 3)
        var x0 = PredictOriginalSigma(modelOutput, sample, sigma);
        var derivative = (sample - x0) / sigma;

        // 3. Euler step
        return scope.MoveOut(sample + derivative * (sigmaNext - sigma));
    }
}
