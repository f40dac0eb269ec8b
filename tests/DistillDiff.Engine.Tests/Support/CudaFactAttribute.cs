namespace DistillDiff.Engine.Tests.Support;

/// <summary>A fact that runs only where libtorch sees a CUDA device (xunit 2.9 has no Assert.Skip, so the skip is decided here).</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (!Torch.Cuda.IsAvailable)
            Skip = $"CUDA is not available to libtorch {Torch.LibTorchVersion} on this machine (CPU-only build or no GPU visible)";
    }
}
