namespace DistillDiff.Export.Quantization;

/// <summary>A quantized weight (or a slice of one along its input channels) dequantized: what the quantized graph computes with.</summary>
/// <param name="Param">The parameter's dotted name.</param>
/// <param name="InputOffset">First input channel of the slice (0 for a whole weight).</param>
/// <param name="Dims">Shape of <paramref name="Values"/>.</param>
public sealed record QuantizedWeight(string Param, long InputOffset, long[] Dims, float[] Values);
