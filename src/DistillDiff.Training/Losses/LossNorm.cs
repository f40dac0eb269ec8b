namespace DistillDiff.Training.Losses;

/// <summary>L2 (squared error, the default) or L1 (ProDiff's choice) on the x-space error.</summary>
public enum LossNorm
{
    L2,
    L1,
}
