namespace DistillDiff.Engine.Nn;

/// <summary>A strict state-dict load that did not match; nothing was copied.</summary>
public sealed class StateDictMismatchException : Exception
{
    public StateDictMismatchException(string module, StateDictLoadResult result)
        : base($"state dict does not match {module}:\n{result}") => Result = result;

    public StateDictLoadResult Result { get; }
}
