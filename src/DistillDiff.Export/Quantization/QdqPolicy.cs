namespace DistillDiff.Export.Quantization;

using DistillDiff.Export.Onnx;
using DistillDiff.Export.Onnx.Proto;

/// <summary>
/// The QDQ export: weights as int8 levels with per-channel scales behind DequantizeLinear; each weight layer's
/// input through QuantizeLinear → DequantizeLinear (uint8, per tensor) with the calibrated range of its site; biases
/// as int32 at scale s_x * s_w (the layout ONNX Runtime's QDQ fusion turns into QLinearConv / int8 Gemm kernels).
/// </summary>
public sealed class QdqPolicy : IQuantPolicy
{
    private readonly QuantConfig _config;
    private readonly IReadOnlyDictionary<string, QuantParams> _activations;
    private readonly Dictionary<string, float[]> _weightScales = new(StringComparer.Ordinal);
    private readonly Dictionary<string, QuantParams> _siteParams = new(StringComparer.Ordinal);
    private readonly List<QuantizedWeight> _fakeQuant = new();
    private readonly Dictionary<string, QuantParams> _dequantized = new(StringComparer.Ordinal);

    /// <summary>Every weight the graph quantized, dequantized: what a libtorch fake-quantized model loads.</summary>
    public IReadOnlyList<QuantizedWeight> FakeQuantWeights => _fakeQuant;

    /// <param name="activations">Calibrated parameters per site (unused when activations stay float).</param>
    public QdqPolicy(QuantConfig config, IReadOnlyDictionary<string, QuantParams> activations)
    {
        config.Validate();
        _config = config;
        _activations = activations;
    }

    public bool SplitConcat => _config.SplitShortcut;

    /// <summary>The activation parameters the graph used, by site (for reports and tests).</summary>
    public IReadOnlyDictionary<string, QuantParams> UsedActivations => _siteParams;

    public string Observe(OnnxGraph g, string tensor, string site) => tensor;

    public string Output(OnnxGraph g, string tensor, string site)
    {
        if (!_config.QuantizeConvOutputs) return tensor;
        var dq = Activation(g, tensor, site);
        _dequantized[dq] = _siteParams[site];
        return dq;
    }

    public string Activation(OnnxGraph g, string tensor, string site)
    {
        if (_config.ActivationBits is null) return tensor;
        // Already the DequantizeLinear of a conv output: a second Q/DQ of the same values would only add rounding.
        if (_dequantized.TryGetValue(tensor, out var existing))
        {
            _siteParams[site] = existing;
            return tensor;
        }
        if (!_activations.TryGetValue(site, out var p)) throw new InvalidOperationException($"quantization: no calibration range for activation site '{site}'");
        _siteParams[site] = p;
        var scale = g.Scalar(site + ".scale", p.Scale);
        var zp = g.UInt8s(site + ".zero_point", [(byte)p.ZeroPoint]);
        var q = g.Node("QuantizeLinear", [tensor, scale, zp], site);
        return g.Node("DequantizeLinear", [q, scale, zp], site);
    }

    public string? Weight(OnnxGraph g, string paramName, float[] data, long[] dims, int channelAxis, long inputOffset = 0)
    {
        if (_config.WeightBits is not int bits) return null;
        var (levels, scales) = WeightQuantizer.Quantize(data, dims, channelAxis, bits, _config.WeightRange);
        _weightScales[paramName] = scales;
        var inner = dims.Skip(channelAxis + 1).Aggregate(1L, (a, b) => a * b);
        _fakeQuant.Add(new QuantizedWeight(paramName, inputOffset, dims, levels.Select((q, i) => q * scales[i / inner % scales.Length]).ToArray()));
        var q = g.Int8s(paramName + ".levels", levels, dims);
        var s = g.Floats(paramName + ".scales", scales, scales.Length);
        var zp = g.Int8s(paramName + ".zero_points", new sbyte[scales.Length], scales.Length);
        return g.Node("DequantizeLinear", [q, s, zp], paramName, Attr.Int("axis", channelAxis));
    }

    public string? Bias(OnnxGraph g, string paramName, float[] data, string site, string weightName)
    {
        if (_config.ActivationBits is null || !_weightScales.TryGetValue(weightName, out var ws) || !_siteParams.TryGetValue(site, out var xp)) return null;
        var scales = ws.Select(s => s * xp.Scale).ToArray();
        var levels = data.Select((b, i) => (int)Math.Clamp(Math.Round((double)b / scales[i]), int.MinValue + 1, int.MaxValue)).ToArray();
        var q = g.Int32s(paramName + ".levels", levels, data.Length);
        var s = g.Floats(paramName + ".scales", scales, scales.Length);
        var zp = g.Int32s(paramName + ".zero_points", new int[data.Length], data.Length);
        return g.Node("DequantizeLinear", [q, s, zp], paramName, Attr.Int("axis", 0));
    }
}
