namespace DistillDiff.Data.Metrics;

using DistillDiff.Engine;

/// <summary>Checks and flattens the sample sets a metric compares.</summary>
internal static class MetricInputs
{
    /// <summary>[N, ...] as a float64 [N, D] tensor on <paramref name="device"/> (metrics accumulate in double).</summary>
    public static Tensor Flatten(Tensor t, string name, Device device)
    {
        ArgumentNullException.ThrowIfNull(t, name);
        if (t.Dim < 1 || t.Size(0) == 0)
            throw new ArgumentException($"{name} must be a non-empty [N, ...] tensor, got shape [{string.Join(", ", t.Shape)}]", name);
        var flat = t.Dim == 1 ? t.Unsqueeze(1) : t.Flatten(1);
        return flat.To(DType.Float64, device);
    }

    /// <summary>Both sets flattened onto <paramref name="a"/>'s device, with equal feature sizes.</summary>
    public static (Tensor A, Tensor B) Pair(Tensor a, Tensor b, string nameA = "a", string nameB = "b")
    {
        ArgumentNullException.ThrowIfNull(a, nameA);
        var device = a.Device;
        var fa = Flatten(a, nameA, device);
        var fb = Flatten(b, nameB, device);
        if (fa.Size(1) != fb.Size(1))
            throw new ArgumentException(
                $"{nameA} and {nameB} differ in sample size: [{string.Join(", ", a.Shape)}] has {fa.Size(1)} values per sample, " +
                $"[{string.Join(", ", b.Shape)}] has {fb.Size(1)}", nameB);
        return (fa, fb);
    }
}
