namespace DistillDiff.Diffusion.Samplers;

using DistillDiff.Engine;

/// <summary>
/// "pd": deterministic DDIM on the continuous grid t_i = i / n, i = n..1 (Salimans &amp; Ho 2022, Algorithm 2), the
/// sampler a progressive-distillation student of n steps was trained to match and the teacher's baseline at the same
/// n. Its grid need not fall on training indices (64 steps of 1000), so <see cref="Timesteps"/> are grid positions
/// i - 1 = n - 1..0, and <see cref="TimeOf"/> maps one to t = i / n. The last step returns x0-hat at t = 1 / n.
/// Not a diffusers class: its _class_name is ours.
/// </summary>
public sealed class ContinuousDdimScheduler(SchedulerConfig config) : SchedulerBase(config), IScheduler
{
    public const string DiffusersClassName = "ContinuousDdimScheduler";

    private int _steps;

    public override string ClassName => DiffusersClassName;

    public override void SetTimesteps(int numInferenceSteps)
    {
        if (numInferenceSteps < 1)
            throw new ArgumentOutOfRangeException(nameof(numInferenceSteps), numInferenceSteps, "inference steps must be at least 1");
        _steps = numInferenceSteps;
        SetTimestepList(Enumerable.Range(0, numInferenceSteps).Reverse().Select(i => (double)i).ToArray(), numInferenceSteps);
    }

    /// <summary>Grid position i - 1 to t = i / n.</summary>
    public double TimeOf(double timestep) =>
        _steps > 0 ? (timestep + 1.0) / _steps : throw new InvalidOperationException("call SetTimesteps before TimeOf");

    public override Tensor Step(Tensor modelOutput, double timestep, Tensor sample, Generator? gen = null)
    {
        using var scope = Torch.NewDisposeScope();
        // 1. x0-hat and eps-hat at t = (timestep + 1) / n
        var t = TimeOf(timestep);
        var (x0, _) = PredictOriginal(modelOutput, sample, Square(Schedule.Alpha(t)));
        if (timestep == 0) return scope.MoveOut(x0);

        // 2. DDIM to s = timestep / n
        var s = timestep / (double)_steps;
        Tensor Scalar(double v) => Torch.Scalar(v, sample.DType, sample.Device);
        return scope.MoveOut(DdimUpdate.Step(sample, x0, Scalar(Schedule.Alpha(t)), Scalar(Schedule.Sigma(t)),
            Scalar(Schedule.Alpha(s)), Scalar(Schedule.Sigma(s))));
    }

    private static double Square(double v) => v * v;
}
