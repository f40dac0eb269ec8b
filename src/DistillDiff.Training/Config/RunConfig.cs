namespace DistillDiff.Training.Config;

using DistillDiff.Engine.Amp;
using DistillDiff.Recipes;

/// <summary>The `run:` section: where the run lives and how it behaves.</summary>
public sealed record RunConfig
{
    /// <summary>Run folder name under <see cref="OutputDir"/> (checkpoints/&lt;name&gt;).</summary>
    public string Name { get; init; } = "run";
    public string OutputDir { get; init; } = "checkpoints";
    public ulong Seed { get; init; }
    /// <summary>cpu, cuda, cuda:N or auto.</summary>
    public string Device { get; init; } = "auto";
    /// <summary>
    /// Intra-op CPU threads; 0 keeps libtorch's default (as PyTorch does). More is not always faster: on 2 shared
    /// vCPUs the quickstart took 3m49s with 2 threads against 1m41s with 1. A resumed run must use the same count
    /// to reproduce bit for bit.
    /// </summary>
    [Range(0, 1024)] public int Threads { get; init; }
    [Range(1, 1e9)] public int LogEvery { get; init; } = 50;
    /// <summary>Resumable state every this many optimizer steps (and at the end of each phase).</summary>
    [Range(1, 1e9)] public int CheckpointEvery { get; init; } = 500;
    [Range(1, 1000)] public int KeepCheckpoints { get; init; } = 2;
    public bool TensorBoard { get; init; } = true;
    /// <summary>
    /// fp32, bf16 (autocast; CPU and CUDA) or fp16 (autocast with dynamic loss scaling; CUDA, or CPU on libtorch
    /// 2.4+). Weights and optimizer state stay float32 in every precision.
    /// </summary>
    public Precision Precision { get; init; } = Precision.Fp32;
    /// <summary>channels_last (NHWC) memory layout for the model and its image inputs (convolutional models).</summary>
    public bool ChannelsLast { get; init; }
}
