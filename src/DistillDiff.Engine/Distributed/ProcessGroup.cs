namespace DistillDiff.Engine.Distributed;

using System.Runtime.InteropServices;
using DistillDiff.Engine.Native;
using static DistillDiff.Engine.Native.NativeMethods;

/// <summary>
/// A group of processes (ranks) joined over libtorch's c10d: rendezvous through a TCPStore hosted by rank 0 at
/// MASTER_ADDR:MASTER_PORT, collectives through ProcessGroupGloo (CPU) or ProcessGroupNCCL (CUDA). Every rank must
/// call the same collectives in the same order. A collective that fails (a rank died, or nothing moved for the
/// timeout) throws a <see cref="TorchException"/> naming the operation, this rank and the ranks that stopped answering;
/// the group is unusable after that.
/// </summary>
public sealed unsafe class ProcessGroup : IDisposable
{
    /// <summary>Bucket size for packed collectives: DDP's default of 25 MiB.</summary>
    public const long DefaultBucketBytes = 25L << 20;

    private void* _handle;

    static ProcessGroup() => NativeLibraryLoader.Install();

    private ProcessGroup(void* handle, string backend)
    {
        _handle = handle;
        Backend = backend;
        Rank = dd_dist_rank(handle);
        WorldSize = dd_dist_world_size(handle);
    }

    ~ProcessGroup()
    {
        if (_handle != null) dd_dist_free(_handle);
    }

    public int Rank { get; }

    public int WorldSize { get; }

    public string Backend { get; }

    /// <summary>
    /// Joins the group: blocks until all <paramref name="worldSize"/> ranks have reached the store, or fails after
    /// <paramref name="timeout"/>, which also bounds every later collective. Rank 0 hosts the store unless
    /// <paramref name="hostStore"/> is false (a launcher such as torchrun serves it at masterAddr:masterPort).
    /// </summary>
    public static ProcessGroup Init(string backend, string masterAddr, int masterPort, int rank, int worldSize, TimeSpan timeout, bool hostStore = true)
    {
        var b = Marshal.StringToCoTaskMemUTF8(backend);
        var a = Marshal.StringToCoTaskMemUTF8(masterAddr);
        try
        {
            var h = dd_dist_init(b, a, masterPort, rank, worldSize, (long)timeout.TotalMilliseconds, hostStore ? 1 : 0);
            if (h == null) throw TorchException.FromNative($"distributed init ({backend}, rank {rank} of {worldSize})");
            return new ProcessGroup(h, backend);
        }
        finally
        {
            Marshal.FreeCoTaskMem(b);
            Marshal.FreeCoTaskMem(a);
        }
    }

    private void* Handle => _handle != null ? _handle : throw new ObjectDisposedException(nameof(ProcessGroup));

    /// <summary>Gives every rank's <paramref name="tensors"/> the values of rank <paramref name="root"/>'s, in place.</summary>
    public void Broadcast(IReadOnlyList<Tensor> tensors, int root = 0, long bucketBytes = DefaultBucketBytes)
    {
        var hs = Tensor.Handles(tensors);
        fixed (IntPtr* p = hs) Tensor.Check(dd_dist_broadcast(Handle, p, hs.Length, root, bucketBytes), "distributed");
    }

    /// <summary>Combines the tensors across ranks in place (packed into flat buckets, all started before any is awaited).</summary>
    public void AllReduce(IReadOnlyList<Tensor> tensors, ReduceOp op = ReduceOp.Sum, long bucketBytes = DefaultBucketBytes)
    {
        var hs = Tensor.Handles(tensors);
        fixed (IntPtr* p = hs) Tensor.Check(dd_dist_all_reduce(Handle, p, hs.Length, (int)op, bucketBytes), "distributed");
    }

    public void AllReduce(Tensor tensor, ReduceOp op = ReduceOp.Sum) => AllReduce([tensor], op);

    /// <summary>
    /// Averages the gradients of <paramref name="parameters"/> over the ranks, as DDP does after backward; parameters
    /// without a gradient are skipped (they have none on any rank).
    /// </summary>
    public void AverageGradients(IReadOnlyList<Tensor> parameters, long bucketBytes = DefaultBucketBytes)
    {
        var hs = Tensor.Handles(parameters);
        fixed (IntPtr* p = hs) Tensor.Check(dd_dist_average_grads(Handle, p, hs.Length, bucketBytes), "distributed");
    }

    /// <summary>Every rank's <paramref name="tensor"/> (same shape on all), stacked in rank order along a new first dimension.</summary>
    public Tensor AllGather(Tensor tensor) => Tensor.Wrap(dd_dist_all_gather(Handle, tensor.Handle), "distributed");

    /// <summary>Returns when every rank has reached it.</summary>
    public void Barrier() => Tensor.Check(dd_dist_barrier(Handle), "distributed");

    public void Dispose()
    {
        if (_handle == null) return;
        dd_dist_free(_handle);
        _handle = null;
        GC.SuppressFinalize(this);
    }
}
