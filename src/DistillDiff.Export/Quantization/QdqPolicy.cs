namespace DistillDiff.Export.Quantization;

using DistillDiff.Export.Onnx;
using DistillDiff.Export.Onnx.Proto;

/// <summary>
/// The QDQ export: weights as int8 levels with per-channel scales behind DequantizeLinear; each weight layer's
/// input through QuantizeLinear → DequantizeLinear (uint8, per tensor) with the calibrated range of its site; biases
/// as int32 at scale s_x * s_w (the layout ONNX Runtime's QDQ fusion turns into QLinearConv / int8 Gemm kernels).
/// While it writes the graph it records, per weight layer, what it quantized and with which parameters
/// (<see cref="Layers"/>, <see cref="FakeQuantWeights"/>): the libtorch fake quantization reads that record rather
/// than restating the rules, so the ONNX model and the libtorch model cannot drift apart.
/// </summary>
public sealed class QdqPolicy : IQuantPolicy
{
    private readonly QuantConfig _config;
    private readonly IReadOnlyDictionary<string, QuantParams> _activations;
    private readonly Dictionary<string, float[]> _weightScales = new(StringComparer.Ordinal);
    private readonly Dictionary<string, QuantParams> _siteParams = new(StringComparer.Ordinal);
    private readonly List<QuantizedWeight> _fakeQuant = new();
    private readonly Dictionary<string, QuantParams> _dequantized = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LayerQuant> _layers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Offset, long Channels)> _lastSlice = new(StringComparer.Ordinal);

    /// <summary>Every weight the graph quantized, dequantized: what a libtorch fake-quantized model loads.</summary>
    public IReadOnlyList<QuantizedWeight> FakeQuantWeights => _fakeQuant;

    /// <summary>
    /// Per weight layer (module name, e.g. "up_blocks.0.resnets.1.conv_shortcut"), the activation ranges, split parts
    /// and quantized bias the graph used; with <see cref="FakeQuantWeights"/> everything the libtorch fake
    /// quantization needs to compute what the graph computes.
    /// </summary>
    public IReadOnlyDictionary<string, LayerQuant> Layers => _layers;

    public QuantConfig Config => _config;

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
        var (layer, kind, part) = ParseSite(site);
        // A split part's input channels are those of the weight slice the emitter handed over just before.
        if (kind == "in" && part is int p && Layer(layer).Parts.Count == p)
            Layer(layer).Parts.Add(_lastSlice.TryGetValue(layer, out var slice)
                ? new PartQuant(slice.Offset, slice.Channels)
                : throw new InvalidOperationException($"quantization: split input '{site}' came before its weight slice"));
        if (_config.ActivationBits is null) return tensor;
        // Already the DequantizeLinear of a conv output: a second Q/DQ of the same values would only add rounding.
        // (libtorch quantizes such an input again with the same parameters, which leaves values on the grid as they are.)
        if (_dequantized.TryGetValue(tensor, out var existing))
        {
            _siteParams[site] = existing;
            Record(layer, kind, part, existing);
            return tensor;
        }
        if (!_activations.TryGetValue(site, out var qp)) throw new InvalidOperationException($"quantization: no calibration range for activation site '{site}'");
        _siteParams[site] = qp;
        Record(layer, kind, part, qp);
        var scale = g.Scalar(site + ".scale", qp.Scale);
        var zp = g.UInt8s(site + ".zero_point", [(byte)qp.ZeroPoint]);
        var q = g.Node("QuantizeLinear", [tensor, scale, zp], site);
        return g.Node("DequantizeLinear", [q, scale, zp], site);
    }

    public string? Weight(OnnxGraph g, string paramName, float[] data, long[] dims, int channelAxis, long inputOffset = 0)
    {
        var layer = LayerOf(paramName);
        Layer(layer);
        if (dims.Length == 4) _lastSlice[layer] = (inputOffset, dims[1]);
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
        // DequantizeLinear of int32 computes level * scale in float: the same product, so the same bits in libtorch.
        Layer(LayerOf(paramName)).Bias = levels.Select((l, i) => l * scales[i]).ToArray();
        var q = g.Int32s(paramName + ".levels", levels, data.Length);
        var s = g.Floats(paramName + ".scales", scales, scales.Length);
        var zp = g.Int32s(paramName + ".zero_points", new int[data.Length], data.Length);
        return g.Node("DequantizeLinear", [q, s, zp], paramName, Attr.Int("axis", 0));
    }

    private LayerQuant Layer(string name)
    {
        if (!_layers.TryGetValue(name, out var l)) _layers[name] = l = new LayerQuant();
        return l;
    }

    private void Record(string layer, string kind, int? part, QuantParams p)
    {
        var l = Layer(layer);
        if (part is int i)
        {
            if (i >= l.Parts.Count) throw new InvalidOperationException($"quantization: site '{layer}:{kind}{i}' has no split part {i}");
            if (kind == "in") l.Parts[i].Input = p;
            else l.Parts[i].Output = p;
        }
        else if (kind == "in") l.Input = p;
        else l.Output = p;
    }

    private static string LayerOf(string paramName) =>
        paramName.EndsWith(".weight", StringComparison.Ordinal) ? paramName[..^".weight".Length]
        : paramName.EndsWith(".bias", StringComparison.Ordinal) ? paramName[..^".bias".Length]
        : throw new InvalidOperationException($"quantization: '{paramName}' is not a weight or bias");

    /// <summary>"name:in", "name:out", "name:in1", "name:out0" (the sites <see cref="LayerEmitter"/> names).</summary>
    private static (string Layer, string Kind, int? Part) ParseSite(string site)
    {
        var colon = site.LastIndexOf(':');
        var suffix = colon < 0 ? "" : site[(colon + 1)..];
        var kind = suffix.StartsWith("in", StringComparison.Ordinal) ? "in" : suffix.StartsWith("out", StringComparison.Ordinal) ? "out"
            : throw new InvalidOperationException($"quantization: activation site '{site}' is not 'layer:in[N]' or 'layer:out[N]'");
        var rest = suffix[kind.Length..];
        return (site[..colon], kind, rest.Length == 0 ? null : int.Parse(rest, System.Globalization.CultureInfo.InvariantCulture));
    }
}
