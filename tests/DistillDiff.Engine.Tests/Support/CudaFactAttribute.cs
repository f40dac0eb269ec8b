namespace DistillDiff.Engine.Tests.Support;

using System.Runtime.CompilerServices;

/// <summary>
/// A fact that runs only where libtorch sees a CUDA device: on a CUDA build with a visible GPU it runs (no switch to
/// set), elsewhere it is reported as skipped with the reason. Decided at discovery, so a CPU run lists each CUDA test
/// as skipped rather than passed. The caller's file and line go to xunit v3's FactAttribute, which uses them to place
/// the test in source.
/// </summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (!Torch.Cuda.IsAvailable)
            Skip = $"CUDA is not available to libtorch {Torch.LibTorchVersion} on this machine (CPU-only build or no GPU visible)";
    }
}
