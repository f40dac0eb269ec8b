namespace DistillDiff.Training.Loop;

using DistillDiff.Data.Datasets;
using DistillDiff.Engine;

/// <summary>
/// What a method gets for one iteration: the batch (labels only for class-conditional models), the iteration index
/// within the phase, and the run's noise generator, the only source of randomness a method may draw from (it is saved
/// in every checkpoint, so a resumed run draws the same numbers).
/// </summary>
public sealed record StepContext(Batch Batch, Tensor? Labels, long Step, Generator Noise, Device Device)
{
    public Tensor X => Batch.X;

    /// <summary>This process's data-parallel rank (0 in a single process); the batch is its shard of the global batch.</summary>
    public int Rank { get; init; }

    /// <summary>Data-parallel ranks (1 in a single process).</summary>
    public int WorldSize { get; init; } = 1;

    /// <summary>
    /// Standard normal noise of <paramref name="shape"/> (first dimension: this rank's batch rows) from <see cref="Noise"/>.
    /// Data-parallel ranks draw it for the whole global batch and keep their rows, so N ranks draw exactly what one
    /// process with the global batch would; methods draw per-sample noise through this and <see cref="RandInt"/>.
    /// </summary>
    public Tensor Randn(long[] shape) => Local(shape, s => Torch.Randn(s, Noise, DType.Float32, Device));

    /// <summary>Uniform noise in [0, 1) of <paramref name="shape"/> (first dimension: batch rows), drawn as <see cref="Randn"/>.</summary>
    public Tensor Rand(long[] shape) => Local(shape, s => Torch.Rand(s, Noise, DType.Float32, Device));

    /// <summary>Integers uniform in [low, high) of <paramref name="shape"/> (first dimension: batch rows), drawn as <see cref="Randn"/>.</summary>
    public Tensor RandInt(long low, long high, long[] shape) => Local(shape, s => Torch.RandInt(low, high, s, Noise, DType.Int64, Device));

    private Tensor Local(long[] shape, Func<long[], Tensor> draw)
    {
        if (WorldSize == 1) return draw(shape);
        var global = (long[])shape.Clone();
        global[0] *= WorldSize;
        return draw(global).Narrow(0, Rank * shape[0], shape[0]);
    }
}
