namespace DistillDiff.Export.Onnx;

/// <summary>
/// How the emitter treats the inputs of weight layers (Conv, Gemm): the float export passes them through (no
/// policy), the calibration export records the activation sites, the quantized export inserts
/// QuantizeLinear/DequantizeLinear. Sites are stable names ("up_blocks.0.resnets.0.conv_shortcut:in1") shared by
/// calibration and quantization.
/// </summary>
public interface IQuantPolicy
{
    /// <summary>Whether a concat feeding a 1 x 1 conv is quantized per part (Q-Diffusion's split shortcut quantization).</summary>
    bool SplitConcat { get; }

    /// <summary>The tensor the layer reads for its activation input <paramref name="tensor"/> at <paramref name="site"/>.</summary>
    string Activation(OnnxGraph g, string tensor, string site);

    /// <summary>
    /// What consumers of a conv's output read: the output itself, or its Q→DQ. ONNX Runtime fuses DQ→Conv→Q into
    /// QLinearConv only when the conv's output is quantized too (Gemm has no such need: QGemm may output float).
    /// </summary>
    string Output(OnnxGraph g, string tensor, string site);

    /// <summary>
    /// A tensor calibration should see without the graph quantizing it: the full output of a split conv, which the
    /// unsplit (naive) variant quantizes as that conv's output.
    /// </summary>
    string Observe(OnnxGraph g, string tensor, string site);

    /// <summary>The tensor the layer reads for weight <paramref name="paramName"/>, or null for a plain float initializer.</summary>
    /// <param name="channelAxis">The output-channel axis of <paramref name="dims"/> (per-channel scales run along it).</param>
    /// <param name="inputOffset">For a slice of a conv weight along its input channels (split convolution): where the slice starts.</param>
    string? Weight(OnnxGraph g, string paramName, float[] data, long[] dims, int channelAxis, long inputOffset = 0);

    /// <summary>The tensor the layer reads for its bias (after <see cref="Activation"/> and <see cref="Weight"/> of the same layer), or null for float.</summary>
    string? Bias(OnnxGraph g, string paramName, float[] data, string site, string weightName);
}
