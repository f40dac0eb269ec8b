namespace DistillDiff.Export.Quantization;

/// <summary>
/// What calibration saw at one activation site: the exact minimum and maximum over every value, and a seeded random
/// subsample (for percentiles and the MSE search) of at most <see cref="PerCall"/> values per network call.
/// </summary>
public sealed class ActivationStats
{
    public const int PerCall = 4096;

    private readonly List<float> _sample = new();

    public double Min { get; private set; } = double.PositiveInfinity;

    public double Max { get; private set; } = double.NegativeInfinity;

    public long Count { get; private set; }

    public IReadOnlyList<float> Sample => _sample;

    public void Add(ReadOnlySpan<float> values, Random rng)
    {
        foreach (var v in values)
        {
            if (v < Min) Min = v;
            if (v > Max) Max = v;
        }
        Count += values.Length;
        if (values.Length <= PerCall)
        {
            foreach (var v in values) _sample.Add(v);
            return;
        }
        for (var i = 0; i < PerCall; i++) _sample.Add(values[rng.Next(values.Length)]);
    }

    /// <summary>The statistics of the concatenation of several sites' tensors (a concat quantized as one).</summary>
    public static ActivationStats Merge(IEnumerable<ActivationStats> parts)
    {
        var merged = new ActivationStats();
        foreach (var p in parts)
        {
            merged.Min = Math.Min(merged.Min, p.Min);
            merged.Max = Math.Max(merged.Max, p.Max);
            merged.Count += p.Count;
            merged._sample.AddRange(p._sample);
        }
        return merged;
    }

    public QuantParams Params(RangeMethod method) =>
        Count == 0 ? throw new InvalidOperationException("no calibration values") : RangeSearch.Activation(_sample.ToArray(), Min, Max, method);
}
