namespace DistillDiff.Engine;

/// <summary>An allocation libtorch could not satisfy; callers may retry with a smaller batch.</summary>
public sealed class TorchOutOfMemoryException : TorchException
{
    public TorchOutOfMemoryException(string message) : base(message) { }
}
