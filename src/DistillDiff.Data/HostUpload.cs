namespace DistillDiff.Data;

using System.Runtime.InteropServices;
using DistillDiff.Engine;

/// <summary>
/// How batches assembled in host memory reach the device. On CUDA they are staged through pinned (page-locked)
/// memory and copied with non_blocking (PyTorch's DataLoader(pin_memory=True) + .to(device, non_blocking=True)): the
/// training loop queues the copy and goes on queueing the step's kernels instead of waiting for a pageable copy.
/// On the CPU a batch is simply made there.
/// </summary>
public static class HostUpload
{
    /// <param name="pinned">null: pinned staging whenever <paramref name="device"/> is CUDA; true: pinned, refused
    /// (TorchException) without a CUDA device; false: a plain synchronous copy.</param>
    public static Tensor Bytes(ReadOnlySpan<byte> data, long[] shape, DType dtype, Device device, bool? pinned) =>
        pinned ?? device.IsCuda
            ? Torch.FromBytesPinned(data, shape, dtype, device)
            : Torch.FromBytes(data, shape, dtype, device);

    public static Tensor Span<T>(ReadOnlySpan<T> data, long[] shape, Device device, bool? pinned) where T : unmanaged =>
        Bytes(MemoryMarshal.AsBytes(data), shape, DTypes.Of<T>(), device, pinned);
}
