namespace DistillDiff.Engine;

using DistillDiff.Engine.Native;
using static DistillDiff.Engine.Native.NativeMethods;

/// <summary>
/// A CUDA graph (torch.cuda.CUDAGraph): kernels recorded once on a side stream and replayed with one launch, which
/// removes the per-kernel launch cost that dominates small batches. Use it through <see cref="StaticBufferCall"/>,
/// which owns the static input buffers, the warm-up and the capture order; this class is only the native object.
/// Needs a native layer built against a CUDA libtorch and a visible GPU (<see cref="Torch.Cuda.GraphsSupported"/>).
/// </summary>
public sealed class CudaGraph : IDisposable
{
    private IntPtr _handle;

    static CudaGraph() => NativeLibraryLoader.Install();

    public CudaGraph(Device device)
    {
        if (!device.IsCuda) throw new ArgumentException($"CUDA graphs run on CUDA devices, not on {device}");
        _handle = dd_cuda_graph_new(device.Index);
        if (_handle == IntPtr.Zero) throw TorchException.FromNative($"CUDA graph on {device}");
    }

    ~CudaGraph()
    {
        if (_handle != IntPtr.Zero) dd_cuda_graph_free(_handle);
    }

    private IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(CudaGraph));

    /// <summary>Makes the graph's side stream current on this thread (after the work already queued).</summary>
    public void EnterSideStream() => Tensor.Check(dd_cuda_graph_enter_side_stream(Handle), "CUDA graph: enter side stream");

    /// <summary>Back to the original stream, which then waits for the side stream's work.</summary>
    public void ExitSideStream() => Tensor.Check(dd_cuda_graph_exit_side_stream(Handle), "CUDA graph: exit side stream");

    public void CaptureBegin() => Tensor.Check(dd_cuda_graph_capture_begin(Handle), "CUDA graph: capture_begin");

    public void CaptureEnd() => Tensor.Check(dd_cuda_graph_capture_end(Handle), "CUDA graph: capture_end");

    /// <summary>Launches the recorded kernels on the current stream; the static outputs hold the results once they ran.</summary>
    public void Replay() => Tensor.Check(dd_cuda_graph_replay(Handle), "CUDA graph: replay");

    public void Dispose()
    {
        if (_handle == IntPtr.Zero) return;
        dd_cuda_graph_free(_handle);
        _handle = IntPtr.Zero;
        GC.SuppressFinalize(this);
    }
}
