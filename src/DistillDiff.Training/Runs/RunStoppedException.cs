namespace DistillDiff.Training.Runs;

/// <summary>The run stopped on SIGINT/SIGTERM after saving a checkpoint; the message says how to resume.</summary>
public sealed class RunStoppedException : Exception
{
    public RunStoppedException(string message, int exitCode) : base(message) => ExitCode = exitCode;

    /// <summary>128 + the signal number, as shells report a process ended by that signal (130 SIGINT, 143 SIGTERM).</summary>
    public int ExitCode { get; }
}
