namespace DistillDiff.Engine.Optim;

public enum LrScheduleKind
{
    Constant,
    Cosine,
    LinearToZero,
}
