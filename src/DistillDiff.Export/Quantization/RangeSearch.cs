namespace DistillDiff.Export.Quantization;

/// <summary>Quantization ranges from values: min-max, percentile, and the MSE search over clipping ratios.</summary>
public static class RangeSearch
{
    /// <summary>Clipping ratios the MSE search tries, from the full range down to 30% of it.</summary>
    public static IEnumerable<double> Ratios => Enumerable.Range(0, 71).Select(i => 1.0 - 0.01 * i);

    /// <summary>Per-channel symmetric weight parameters for one channel's values.</summary>
    public static QuantParams Weight(ReadOnlySpan<float> w, int bits, RangeMethod method)
    {
        double absMax = 0;
        foreach (var v in w) absMax = Math.Max(absMax, Math.Abs(v));
        if (method != RangeMethod.Mse) return QuantParams.Symmetric(absMax, bits);
        var best = QuantParams.Symmetric(absMax, bits);
        var bestErr = double.MaxValue;
        foreach (var r in Ratios)
        {
            var p = QuantParams.Symmetric(absMax * r, bits);
            var err = SquaredError(w, p);
            if (err < bestErr) (best, bestErr) = (p, err);
        }
        return best;
    }

    /// <summary>Unsigned 8-bit activation parameters from calibration values (exact <paramref name="min"/>/<paramref name="max"/> of all of them, <paramref name="sample"/> a subsample).</summary>
    public static QuantParams Activation(ReadOnlySpan<float> sample, double min, double max, RangeMethod method, double percentile = 99.99)
    {
        switch (method)
        {
            case RangeMethod.MinMax:
                return QuantParams.Uint8(min, max);
            case RangeMethod.Percentile:
            {
                var sorted = sample.ToArray();
                Array.Sort(sorted);
                return QuantParams.Uint8(Quantile(sorted, 1 - percentile / 100), Quantile(sorted, percentile / 100));
            }
            case RangeMethod.Mse:
            {
                var best = QuantParams.Uint8(min, max);
                var bestErr = double.MaxValue;
                foreach (var r in Ratios)
                {
                    var p = QuantParams.Uint8(min * r, max * r);
                    var err = SquaredError(sample, p);
                    if (err < bestErr) (best, bestErr) = (p, err);
                }
                return best;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(method), method, null);
        }
    }

    public static double SquaredError(ReadOnlySpan<float> values, QuantParams p)
    {
        double sum = 0;
        foreach (var v in values)
        {
            var d = v - p.FakeQuant(v);
            sum += d * d;
        }
        return sum;
    }

    private static double Quantile(float[] sorted, double q)
    {
        if (sorted.Length == 0) return 0;
        var pos = q * (sorted.Length - 1);
        var i = (int)Math.Floor(pos);
        var j = Math.Min(i + 1, sorted.Length - 1);
        return sorted[i] + (pos - i) * (sorted[j] - sorted[i]);
    }
}
