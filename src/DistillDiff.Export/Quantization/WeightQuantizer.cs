namespace DistillDiff.Export.Quantization;

/// <summary>Per-channel symmetric quantization of a weight tensor along its output-channel axis.</summary>
public static class WeightQuantizer
{
    /// <returns>The integer levels (int8 storage, within ±(2^(bits-1) - 1)) and one scale per channel.</returns>
    public static (sbyte[] Levels, float[] Scales) Quantize(float[] w, long[] dims, int axis, int bits, RangeMethod method)
    {
        var (channels, inner, outer) = Layout(dims, axis);
        var levels = new sbyte[w.Length];
        var scales = new float[channels];
        var buffer = new float[outer * inner];
        for (var c = 0; c < channels; c++)
        {
            Gather(w, buffer, c, channels, inner, outer);
            var p = RangeSearch.Weight(buffer, bits, method);
            scales[c] = p.Scale;
            for (long o = 0; o < outer; o++)
                for (long k = 0; k < inner; k++)
                {
                    var idx = (o * channels + c) * inner + k;
                    levels[idx] = (sbyte)p.Quantize(w[idx]);
                }
        }
        return (levels, scales);
    }

    /// <summary>The weights the quantized network computes with: levels times their channel's scale.</summary>
    public static float[] FakeQuant(float[] w, long[] dims, int axis, int bits, RangeMethod method)
    {
        var (levels, scales) = Quantize(w, dims, axis, bits, method);
        var (channels, inner, _) = Layout(dims, axis);
        var result = new float[w.Length];
        for (long i = 0; i < w.Length; i++) result[i] = levels[i] * scales[i / inner % channels];
        return result;
    }

    private static (int Channels, long Inner, long Outer) Layout(long[] dims, int axis)
    {
        if (axis < 0 || axis >= dims.Length) throw new ArgumentOutOfRangeException(nameof(axis), axis, $"axis must index dims [{string.Join(", ", dims)}]");
        var inner = dims.Skip(axis + 1).Aggregate(1L, (a, b) => a * b);
        var outer = dims.Take(axis).Aggregate(1L, (a, b) => a * b);
        return ((int)dims[axis], inner, outer);
    }

    private static void Gather(float[] w, float[] buffer, int c, int channels, long inner, long outer)
    {
        var n = 0;
        for (long o = 0; o < outer; o++)
            for (long k = 0; k < inner; k++)
                buffer[n++] = w[(o * channels + c) * inner + k];
    }
}
