namespace DistillDiff.Data.Datasets;

using DistillDiff.Engine;

/// <summary>
/// One batch of data: <see cref="X"/> is [B, ...sample shape] float32 (images in [-1, 1]); <see cref="Labels"/> is
/// [B] int64 class indices, or null for an unlabelled dataset. The tensors belong to the dispose scope that was
/// open when the batch was made; <see cref="Dispose"/> frees them early or when no scope is open.
/// </summary>
public sealed record Batch(Tensor X, Tensor? Labels) : IDisposable
{
    public void Dispose()
    {
        X.Dispose();
        Labels?.Dispose();
    }
}
