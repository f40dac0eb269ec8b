namespace DistillDiff.Export.Quantization;

/// <summary>
/// Affine quantization of one tensor or channel, as ONNX QuantizeLinear / DequantizeLinear define it:
/// q = clamp(round_half_even(x / scale) + zero_point, qmin, qmax), x' = (q - zero_point) * scale.
/// </summary>
public readonly record struct QuantParams(float Scale, int ZeroPoint, int QMin, int QMax)
{
    public int Quantize(float x) => (int)Math.Clamp(MathF.Round(x / Scale, MidpointRounding.ToEven) + ZeroPoint, QMin, QMax);

    public float Dequantize(int q) => (q - ZeroPoint) * Scale;

    /// <summary>Quantize then dequantize: what the value becomes in the quantized network.</summary>
    public float FakeQuant(float x) => Dequantize(Quantize(x));

    /// <summary>
    /// Unsigned 8-bit activations over [lo, hi] widened to contain 0 (QuantizeLinear needs 0 exactly representable,
    /// for padding): scale = (hi - lo) / 255, zero_point = round(-lo / scale).
    /// </summary>
    public static QuantParams Uint8(double lo, double hi)
    {
        lo = Math.Min(lo, 0);
        hi = Math.Max(hi, 0);
        if (hi - lo < 1e-12) return new QuantParams(1f, 0, 0, 255);
        var scale = (float)((hi - lo) / 255);
        var zp = (int)Math.Clamp(Math.Round(-lo / scale), 0, 255);
        return new QuantParams(scale, zp, 0, 255);
    }

    /// <summary>Symmetric signed weights of <paramref name="bits"/> bits over [-absMax, absMax]: levels -qmax..qmax, qmax = 2^(bits-1) - 1.</summary>
    public static QuantParams Symmetric(double absMax, int bits)
    {
        if (bits is < 2 or > 8) throw new ArgumentOutOfRangeException(nameof(bits), bits, "weight bits must be 2..8");
        var qmax = (1 << (bits - 1)) - 1;
        var scale = absMax > 0 ? (float)(absMax / qmax) : 1f;
        return new QuantParams(scale, 0, -qmax, qmax);
    }
}
