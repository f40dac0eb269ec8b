namespace DistillDiff.Data;

/// <summary>
/// Where a <see cref="BatchSampler"/> stands: the epoch its next batch comes from, and how many indices of that
/// epoch's permutation were already handed out. Two numbers are enough because each epoch's order is a pure
/// function of (seed, epoch); save them in checkpoints to resume the exact data order.
/// </summary>
public sealed record SamplerState(long Epoch, long Position);
