namespace DistillDiff.Data.Metrics;

using DistillDiff.Engine;
using F = DistillDiff.Engine.Functional;

/// <summary>
/// Fixed image features for <see cref="FrechetDistance"/> that need no pretrained network (no Inception weights
/// are available offline, and a network trained here would make scores incomparable across runs).
/// </summary>
public static class ImageFeatures
{
    /// <summary>
    /// Average-pools each channel to a <paramref name="size"/> x <paramref name="size"/> grid and flattens:
    /// [N, C, H, W] (or [N, H, W]) → [N, C·size²] float32; 28x28 Fashion-MNIST gives 49 features, each the mean
    /// of a 4x4 cell. They capture layout, silhouette and brightness, which is what few-step students get wrong
    /// first (mode dropping, wrong shapes). They are blind to detail inside a cell, so blur registers only weakly
    /// (a blur nearly preserves cell means); pair with <see cref="SlicedWasserstein"/> on raw pixels for fine structure.
    /// </summary>
    public static Tensor Pooled(Tensor images, int size = 7)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        if (images.Dim is not (3 or 4))
            throw new ArgumentException($"images must be [N, C, H, W] or [N, H, W], got shape [{string.Join(", ", images.Shape)}]", nameof(images));
        using var scope = Torch.NewDisposeScope();
        var x = images.Dim == 3 ? images.Unsqueeze(1) : images;
        if (x.DType != DType.Float32) x = x.To(DType.Float32);
        return scope.MoveOut(F.AdaptiveAvgPool2d(x, size, size).Flatten(1));
    }
}
