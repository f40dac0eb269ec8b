namespace DistillDiff.Data;

/// <summary>
/// Hands out batches of dataset indices, epoch after epoch, each epoch in a fresh order: a Fisher-Yates shuffle
/// driven by <see cref="Xoshiro256StarStar"/> seeded with (seed, epoch). The order therefore depends on nothing
/// but those numbers (not on libtorch, the device or the runtime), and a sampler restored from
/// <see cref="State"/> continues exactly as the original would have.
/// </summary>
public sealed class BatchSampler
{
    private readonly ulong _seed;
    private long[]? _order;      // permutation of the epoch in _orderEpoch, built lazily
    private long _orderEpoch = -1;
    private long _epoch, _position;

    /// <param name="datasetCount">Number of samples to draw from (indices 0 .. count-1).</param>
    /// <param name="batchSize">Indices per batch.</param>
    /// <param name="seed">Fixes every epoch's order.</param>
    /// <param name="dropLast">Skip an epoch's final partial batch so every batch is full; otherwise it comes out short.</param>
    public BatchSampler(long datasetCount, int batchSize, ulong seed, bool dropLast = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(datasetCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(datasetCount, Array.MaxLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (dropLast && batchSize > datasetCount)
            throw new ArgumentException(
                $"batch size {batchSize} exceeds the {datasetCount} samples of the dataset, so dropping the last partial batch leaves none; " +
                "lower the batch size or keep the last batch (dropLast = false)", nameof(batchSize));
        DatasetCount = datasetCount;
        BatchSize = batchSize;
        DropLast = dropLast;
        _seed = seed;
    }

    public long DatasetCount { get; }

    public int BatchSize { get; }

    public bool DropLast { get; }

    /// <summary>Batches in one epoch.</summary>
    public long BatchesPerEpoch => DropLast ? DatasetCount / BatchSize : (DatasetCount + BatchSize - 1) / BatchSize;

    /// <summary>The position of the next batch; pass it to <see cref="Restore"/> to resume from here.</summary>
    public SamplerState State => new(_epoch, _position);

    /// <summary>Continues from a saved <see cref="State"/> (of a sampler with the same count, batch size, seed and dropLast).</summary>
    public void Restore(SamplerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        // Next() never leaves a position from which no batch can start, so a state that does was not saved by
        // a sampler of this shape.
        if (state.Epoch < 0 || state.Position < 0 || state.Position >= DatasetCount ||
            (DropLast && state.Position > DatasetCount - BatchSize))
            throw new ArgumentException(
                $"sampler state (epoch {state.Epoch}, position {state.Position}) cannot come from a sampler over {DatasetCount} samples " +
                $"with batch size {BatchSize}{(DropLast ? " and dropLast" : "")}", nameof(state));
        _epoch = state.Epoch;
        _position = state.Position;
    }

    /// <summary>The indices of the next batch (BatchSize of them, or fewer for an epoch's last batch when not dropLast).</summary>
    public long[] Next()
    {
        var order = Order(_epoch);
        var take = (int)Math.Min(BatchSize, DatasetCount - _position);
        var batch = order.AsSpan((int)_position, take).ToArray();
        _position += take;
        // Roll over eagerly so State names the epoch the next batch will come from.
        if (_position == DatasetCount || (DropLast && DatasetCount - _position < BatchSize))
        {
            _epoch++;
            _position = 0;
        }
        return batch;
    }

    /// <summary>
    /// Rank <paramref name="rank"/>'s part of a global batch split over <paramref name="worldSize"/> data-parallel
    /// ranks: the contiguous block of length globalBatch.Length / worldSize, so the blocks of ranks 0..N-1 in order
    /// are the global batch itself and N ranks with per-rank batch B see exactly the data of one process with N×B.
    /// </summary>
    public static long[] Shard(long[] globalBatch, int rank, int worldSize)
    {
        ArgumentNullException.ThrowIfNull(globalBatch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(worldSize);
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, worldSize);
        if (globalBatch.Length % worldSize != 0)
            throw new ArgumentException(
                $"a global batch of {globalBatch.Length} indices does not split evenly over {worldSize} ranks", nameof(globalBatch));
        var per = globalBatch.Length / worldSize;
        return globalBatch.AsSpan(rank * per, per).ToArray();
    }

    /// <summary>Epoch <paramref name="epoch"/>'s order of all indices (a copy).</summary>
    public long[] Permutation(long epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        return (long[])Order(epoch).Clone();
    }

    private long[] Order(long epoch)
    {
        if (_order is not null && _orderEpoch == epoch) return _order;
        _order ??= new long[DatasetCount];
        for (var i = 0; i < _order.Length; i++) _order[i] = i;
        new Xoshiro256StarStar(_seed, (ulong)epoch).Shuffle(_order.AsSpan());
        _orderEpoch = epoch;
        return _order;
    }
}
