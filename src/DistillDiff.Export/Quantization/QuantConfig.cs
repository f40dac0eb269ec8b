namespace DistillDiff.Export.Quantization;

/// <summary>One post-training quantization setting.</summary>
/// <param name="WeightBits">8 or 4 (per-channel symmetric; 4-bit levels are stored in int8); null keeps float weights.</param>
/// <param name="ActivationBits">8 (per-tensor asymmetric uint8) or null (float activations).</param>
/// <param name="WeightRange">Range of each weight channel.</param>
/// <param name="ActivationRange">Range of each activation site from the calibration values.</param>
/// <param name="SplitShortcut">Quantize the two halves of the up path's skip concatenation with their own ranges.</param>
/// <param name="ConvOutputs">Also quantize conv outputs (uint8, calibrated like inputs), which ONNX Runtime needs to run
/// convs as int8 QLinearConv; without it convs stay float ops between Q/DQ pairs.</param>
public sealed record QuantConfig(
    int? WeightBits = 8,
    int? ActivationBits = 8,
    RangeMethod WeightRange = RangeMethod.Mse,
    RangeMethod ActivationRange = RangeMethod.Mse,
    bool SplitShortcut = true,
    bool ConvOutputs = true)
{
    /// <summary>Whether conv outputs get a Q/DQ pair (only with quantized activations).</summary>
    public bool QuantizeConvOutputs => ConvOutputs && ActivationBits is not null;

    /// <summary>Naive PTQ: min-max ranges, one range for the whole concatenation.</summary>
    public static QuantConfig Naive(int? weightBits, int? activationBits) =>
        new(weightBits, activationBits, RangeMethod.MinMax, RangeMethod.MinMax, SplitShortcut: false);

    public string Label => $"W{WeightBits?.ToString() ?? "32"}A{ActivationBits?.ToString() ?? "32"}" +
        $" ({WeightRange.ToString().ToLowerInvariant()}/{ActivationRange.ToString().ToLowerInvariant()}{(SplitShortcut ? ", split" : "")})";

    public void Validate()
    {
        if (WeightBits is not (null or 8 or 4)) throw new ArgumentException($"--weights {WeightBits}: expected 8 or 4");
        if (ActivationBits is not (null or 8)) throw new ArgumentException($"--activations {ActivationBits}: expected 8 or none");
    }
}
