namespace DistillDiff.Engine.Optim;

/// <summary>
/// Multiplier on the base learning rate at a step: a linear warmup from 0 over WarmupSteps, then constant, a cosine
/// decay to MinFactor at TotalSteps, or a linear decay to 0 at TotalSteps (progressive distillation's per-round schedule).
/// </summary>
public sealed record LrSchedule(LrScheduleKind Kind = LrScheduleKind.Constant, long WarmupSteps = 0, long TotalSteps = 0, double MinFactor = 0)
{
    /// <summary>The factor for the update with 0-based index <paramref name="step"/>.</summary>
    public double Factor(long step)
    {
        if (WarmupSteps > 0 && step < WarmupSteps) return (step + 1) / (double)WarmupSteps;
        if (Kind == LrScheduleKind.Constant) return 1;
        if (TotalSteps <= WarmupSteps)
            throw new InvalidOperationException($"a {Kind} schedule needs total steps ({TotalSteps}) above warmup steps ({WarmupSteps})");
        var progress = Math.Clamp((step - WarmupSteps) / (double)(TotalSteps - WarmupSteps), 0, 1);
        return Kind switch
        {
            LrScheduleKind.Cosine => MinFactor + (1 - MinFactor) * 0.5 * (1 + Math.Cos(Math.PI * progress)),
            LrScheduleKind.LinearToZero => 1 - progress,
            _ => throw new InvalidOperationException($"unknown schedule {Kind}"),
        };
    }

    /// <summary>Sets the optimizer's rate for its next step.</summary>
    public void Apply(Optimizer optimizer) => optimizer.LearningRate = optimizer.BaseLearningRate * Factor(optimizer.StepCount);
}
