namespace DistillDiff.Diffusion.Samplers;

using DistillDiff.Engine;

/// <summary>
/// The few-step sampler of adversarially distilled students (ADD, Sauer et al. 2023, sec. 3; "predict x0, renoise"):
/// <code>
///   x0-hat = the student's data prediction at z_t
///   z_s = sqrt(alpha-bar_s) x0-hat + sqrt(1 - alpha-bar_s) eps,  eps ~ N(0, I) fresh   (forward process, eq. 4 of DDPM)
/// </code>
/// and x0-hat itself after the last timestep. Use trailing spacing: 4 steps are {999, 749, 499, 249}, one step {999}.
/// Not a diffusers class: its _class_name is ours.
/// </summary>
public sealed class FewStepScheduler(SchedulerConfig config) : SchedulerBase(config)
{
    public const string DiffusersClassName = "FewStepScheduler";

    public override string ClassName => DiffusersClassName;

    public override Tensor Step(Tensor modelOutput, double timestep, Tensor sample, Generator? gen = null)
    {
        using var scope = Torch.NewDisposeScope();
        // 1. next timestep
        var prev = NextInList(timestep);

        // 2. x0-hat, clipped or thresholded
        var (x0, _) = PredictOriginal(modelOutput, sample, AlphasCumprod[Index(timestep)]);
        if (prev < 0) return scope.MoveOut(x0);

        // 3. renoise to the next timestep with fresh noise
        var aS = AlphasCumprod[prev];
        return scope.MoveOut(x0 * Math.Sqrt(aS) + Torch.RandnLike(sample, gen) * Math.Sqrt(1 - aS));
    }
}
