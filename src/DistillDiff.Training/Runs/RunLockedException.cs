namespace DistillDiff.Training.Runs;

/// <summary>Another live process holds the run folder's lock; the message names it.</summary>
public sealed class RunLockedException : Exception
{
    public RunLockedException(string message) : base(message) { }
}
