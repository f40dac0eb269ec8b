namespace DistillDiff.Training.Trainers;

/// <summary>The loss or the weights stopped being finite; the last checkpoint on disk is still a good one.</summary>
public sealed class TrainingDivergedException : Exception
{
    public TrainingDivergedException(string message) : base(message) { }
}
