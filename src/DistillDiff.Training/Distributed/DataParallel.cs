namespace DistillDiff.Training.Distributed;

using DistillDiff.Data;
using DistillDiff.Engine;
using DistillDiff.Engine.Distributed;
using DistillDiff.Engine.Nn;

/// <summary>
/// Data-parallel training over a <see cref="ProcessGroup"/>, as PyTorch's DDP: every rank holds the same weights
/// (broadcast from rank 0 when a model is set up), computes the loss on its own shard of each global batch, and the
/// gradients are averaged in flat buckets before clipping and the optimizer step, so clipping, the optimizer and EMA
/// see the same numbers on every rank. With per-rank batch B on N ranks the run follows the data and noise of one
/// process with batch N×B. Rank 0 alone writes files; the others wait for it where they read what it wrote.
/// </summary>
public sealed class DataParallel : IDisposable
{
    private readonly ProcessGroup _group;

    private DataParallel(ProcessGroup group, LaunchEnvironment env)
    {
        _group = group;
        Environment = env;
    }

    public LaunchEnvironment Environment { get; }

    public int Rank => _group.Rank;

    public int WorldSize => _group.WorldSize;

    /// <summary>Joins the job described by the launch environment; gloo on CPU and nccl on CUDA unless overridden.</summary>
    public static DataParallel Join(LaunchEnvironment env, Device device)
    {
        var backend = env.Backend ?? (device.Type == DeviceType.CUDA ? "nccl" : "gloo");
        var group = ProcessGroup.Init(backend, env.MasterAddr, env.MasterPort, env.Rank, env.WorldSize, env.Timeout, env.RankZeroHostsStore);
        return new DataParallel(group, env);
    }

    /// <summary>
    /// The CUDA device of this rank on its node (LOCAL_RANK), for a recipe that asks for "cuda"; modulo the visible
    /// devices, since a launcher that gives each rank one GPU (srun --gpus-per-task=1) makes it device 0.
    /// </summary>
    public Device LocalDevice(Device configured) =>
        configured.Type == DeviceType.CUDA && configured.Index <= 0 && Torch.Cuda.DeviceCount > 0
            ? new Device(DeviceType.CUDA, Environment.LocalRank % Torch.Cuda.DeviceCount)
            : configured;

    /// <summary>Rank 0's parameters and buffers on every rank, so all start from the same weights.</summary>
    public void BroadcastFromMain(Module model) =>
        _group.Broadcast([.. model.Parameters(), .. model.NamedBuffers().Select(b => b.Buffer)]);

    /// <summary>Averages the gradients over the ranks (call after backward, before clipping and the step).</summary>
    public void AverageGradients(IReadOnlyList<Tensor> parameters) => _group.AverageGradients(parameters);

    /// <summary>Averages (loss) tensors over the ranks in place, in one bucketed all-reduce: the loss of the global batch.</summary>
    public void Average(IReadOnlyList<Tensor> values)
    {
        if (values.Count > 0) _group.AllReduce(values, ReduceOp.Average);
    }

    /// <summary>This rank's part of a global batch of indices: the contiguous block number <see cref="Rank"/>.</summary>
    public long[] Shard(long[] globalBatch) => BatchSampler.Shard(globalBatch, Rank, WorldSize);

    /// <summary>Returns when every rank got here: the others wait while rank 0 writes what they will read.</summary>
    public void Barrier() => _group.Barrier();

    /// <summary>Whether <paramref name="flag"/> is true on any rank (a stop asked by a signal that reached only some
    /// ranks): every rank must stop at the same step, or the others would wait in the next collective until timeout.</summary>
    public bool Any(bool flag, Device device)
    {
        using var t = Torch.Scalar(flag ? 1.0 : 0.0, DType.Float32, device);
        _group.AllReduce([t], ReduceOp.Max);
        return t.Item() > 0;
    }

    public void Dispose() => _group.Dispose();
}
