namespace DistillDiff.Export.Onnx;

/// <summary>
/// How the emitter treats the inputs of weight layers (Conv, Gemm): the float export passes them through, the
/// calibration export records the activation sites, the quantized export inserts QuantizeLinear/DequantizeLinear.
/// Sites are stable names ("up_blocks.0.resnets.0.conv_shortcut:in1") shared by calibration and quantization.
/// </summary>
public interface IQuantPolicy
{
    /// <summary>Whether a concat feeding a weight layer is quantized per half (Q-Diffusion's split shortcut quantization).</summary>
    bool SplitConcat { get; }

    /// <summary>The tensor the weight layer should read for weight <paramref name="paramName"/> (an initializer or a DequantizeLinear output).</summary>
    /// <param name="channelAxis">The output-channel axis of <paramref name="dims"/> (per-channel scales run along it).</param>
    string Weight(OnnxGraph g, string paramName, float[] data, long[] dims, int channelAxis);

    /// <summary>The tensor the weight layer should read for its activation input <paramref name="tensor"/> at <paramref name="site"/>.</summary>
    string Activation(OnnxGraph g, string tensor, string site);
}
