namespace DistillDiff.Diffusion.Samplers;

using DistillDiff.Engine;

/// <summary>Bounding x0-hat: static clipping, and dynamic thresholding (Saharia et al. 2022, Imagen, sec. 2.3).</summary>
public static class Thresholding
{
    /// <summary>
    /// Per sample: s = quantile(|x0|, ratio) clamped to [1, maxValue]; x0 -> clamp(x0, -s, s) / s (diffusers'
    /// _threshold_sample). The quantile is torch.quantile's "linear" one, composed from sort (the engine has no quantile).
    /// </summary>
    public static Tensor Dynamic(Tensor x0, double ratio, double maxValue)
    {
        if (!(ratio >= 0 && ratio <= 1)) throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "must be in [0, 1]");
        using var scope = Torch.NewDisposeScope();
        var dtype = x0.DType;
        var work = dtype is DType.Float32 or DType.Float64 ? x0 : x0.Float(); // quantile needs full precision
        var flat = work.Reshape(x0.Size(0), -1);
        var (sorted, indices) = flat.Abs().Sort(1);
        indices.Dispose();
        var count = flat.Size(1);
        var pos = ratio * (count - 1);
        var lo = (long)Math.Floor(pos);
        var hi = Math.Min(lo + 1, count - 1);
        var low = sorted.Select(1, lo);
        var s = (low + (sorted.Select(1, hi) - low) * (pos - lo)).Clamp(1, maxValue).Unsqueeze(1);
        var result = (flat.Clamp(-s, s) / s).Reshape(x0.Shape).To(dtype);
        return scope.MoveOut(result);
    }

    /// <summary>clamp(x0, -range, range).</summary>
    public static Tensor Clip(Tensor x0, double range) => x0.Clamp(-range, range);
}
