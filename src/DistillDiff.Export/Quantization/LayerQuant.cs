namespace DistillDiff.Export.Quantization;

/// <summary>
/// What the QDQ graph does around one weight layer (a Conv or Gemm, by its module's dotted name), recorded by
/// <see cref="QdqPolicy"/> while it writes the graph, so the libtorch fake quantization (<see cref="FakeQuantModel"/>)
/// applies exactly the parameters the ONNX model holds: one source of truth for both.
/// </summary>
public sealed class LayerQuant
{
    /// <summary>Quantize-dequantize of the layer's input (site "name:in"); null keeps it float.</summary>
    public QuantParams? Input { get; internal set; }

    /// <summary>Quantize-dequantize of the layer's output (site "name:out", convs only); null keeps it float.</summary>
    public QuantParams? Output { get; internal set; }

    /// <summary>The int32 bias dequantized (levels x s_x s_w per channel), or null for the float bias.</summary>
    public float[]? Bias { get; internal set; }

    /// <summary>
    /// Split shortcut quantization: a 1 x 1 conv over a concatenation, computed as one conv per part on that part's
    /// input channels, each part with its own input and output range, summed, plus the float bias. Empty otherwise.
    /// </summary>
    public List<PartQuant> Parts { get; } = new();

    public bool IsSplit => Parts.Count > 0;
}

/// <summary>One part of a split convolution: input channels [Offset, Offset + Channels) and its ranges ("name:inP", "name:outP").</summary>
public sealed class PartQuant(long offset, long channels)
{
    public long Offset { get; } = offset;

    public long Channels { get; } = channels;

    public QuantParams? Input { get; internal set; }

    public QuantParams? Output { get; internal set; }
}
