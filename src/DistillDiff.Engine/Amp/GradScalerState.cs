namespace DistillDiff.Engine.Amp;

/// <summary>The part of a <see cref="GradScaler"/> that a checkpoint saves.</summary>
public sealed record GradScalerState(double Scale, int GrowthTracker, long SkippedSteps);
