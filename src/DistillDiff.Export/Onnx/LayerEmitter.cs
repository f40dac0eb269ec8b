namespace DistillDiff.Export.Onnx;

using DistillDiff.Export.Onnx.Proto;

/// <summary>
/// ONNX nodes for the Engine's layers (Linear, Conv2d, GroupNorm, LayerNorm, activations), reading each layer's
/// weights by its dotted prefix. Each method mirrors the layer's Forward in DistillDiff.Engine.Nn; the parity tests
/// run both and compare.
/// </summary>
public sealed class LayerEmitter
{
    private readonly Dictionary<string, string> _shapeConstants = new(StringComparer.Ordinal);

    public LayerEmitter(OnnxGraph graph, WeightSource weights, IQuantPolicy? policy)
    {
        G = graph;
        W = weights;
        Policy = policy;
    }

    public OnnxGraph G { get; }

    public WeightSource W { get; }

    public IQuantPolicy? Policy { get; }

    /// <summary>A shared int64 constant (shapes, axes), one initializer per distinct value.</summary>
    public string Const(params long[] values)
    {
        var key = string.Join(",", values);
        if (!_shapeConstants.TryGetValue(key, out var name)) _shapeConstants[key] = name = G.Int64s("const", values);
        return name;
    }

    /// <summary>Activation, weight (output channels on axis 0) and bias inputs of a Conv or Gemm, in that order for the policy.</summary>
    private List<string> WeightLayerInputs(string x, string prefix, string site)
    {
        var input = Act(x, site);
        var (data, shape) = W.Get(prefix + ".weight");
        var inputs = new List<string> { input, Policy?.Weight(G, prefix + ".weight", data, shape, 0) ?? G.Floats(prefix + ".weight", data, shape) };
        if (W.Has(prefix + ".bias"))
        {
            var (b, _) = W.Get(prefix + ".bias");
            inputs.Add(Policy?.Bias(G, prefix + ".bias", b, site, prefix + ".weight") ?? FloatParam(prefix + ".bias"));
        }
        return inputs;
    }

    private string FloatParam(string name, params long[] dims)
    {
        var (data, shape) = W.Get(name);
        return G.Floats(name, data, dims.Length > 0 ? dims : shape);
    }

    private string Act(string x, string site) => Policy?.Activation(G, x, site) ?? x;

    /// <summary>y = x W^T + b for x [N, in] (Engine Linear), as Gemm with transB.</summary>
    public string Linear(string x, string prefix)
    {
        var inputs = WeightLayerInputs(x, prefix, prefix + ":in");
        return G.Node("Gemm", inputs, prefix, Attr.Int("transB", 1));
    }

    /// <summary>Engine Conv2d: square kernel, symmetric padding, groups.</summary>
    public string Conv(string x, string prefix, int stride = 1, int padding = 0, long groups = 1, string? site = null)
    {
        var (_, shape) = W.Get(prefix + ".weight");
        var inputs = WeightLayerInputs(x, prefix, site ?? prefix + ":in");
        var y = G.Node("Conv", inputs, prefix,
            Attr.Ints("kernel_shape", shape[2], shape[3]), Attr.Ints("strides", stride, stride),
            Attr.Ints("pads", padding, padding, padding, padding), Attr.Ints("dilations", 1, 1), Attr.Int("group", groups));
        return Policy?.Output(G, y, prefix + ":out") ?? y;
    }

    /// <summary>
    /// A 1 x 1 conv over Concat(parts, axis 1), written as one conv per part with that part's slice of the input
    /// channels, summed: the same function, but each part has its own activation site, so each half of a skip
    /// concatenation gets its own quantization range and still runs as an int8 conv (split shortcut quantization).
    /// </summary>
    public string ConvOverConcat(IReadOnlyList<(string Tensor, long Channels)> parts, string prefix)
    {
        var (data, shape) = W.Get(prefix + ".weight");
        if (shape[2] != 1 || shape[3] != 1) throw new InvalidOperationException($"{prefix}: split convolution needs a 1 x 1 kernel");
        var (outCh, inCh) = (shape[0], shape[1]);
        if (parts.Sum(p => p.Channels) != inCh) throw new InvalidOperationException($"{prefix}: concat parts do not add up to {inCh} channels");
        string? sum = null;
        long offset = 0;
        for (var p = 0; p < parts.Count; p++)
        {
            var c = parts[p].Channels;
            var slice = new float[outCh * c];
            for (long o = 0; o < outCh; o++) Array.Copy(data, o * inCh + offset, slice, o * c, c);
            var w = Policy?.Weight(G, prefix + ".weight", slice, [outCh, c, 1, 1], 0, offset) ?? G.Floats($"{prefix}.weight[:, part {p}]", slice, outCh, c, 1, 1);
            var y = G.Node("Conv", [Act(parts[p].Tensor, $"{prefix}:in{p}"), w], prefix, Attr.Ints("kernel_shape", 1, 1));
            y = Policy?.Output(G, y, $"{prefix}:out{p}") ?? y;
            sum = sum is null ? y : G.Node("Add", [sum, y], prefix);
            offset += c;
        }
        var result = W.Has(prefix + ".bias") ? G.Node("Add", [sum!, FloatParam(prefix + ".bias", outCh, 1, 1)], prefix) : sum!;
        return Policy?.Observe(G, result, prefix + ":out") ?? result;
    }

    /// <summary>
    /// GroupNorm over [B, C, ...]: reshape to [B, G, -1], InstanceNormalization (per-row mean and variance, which is
    /// exactly group normalization), reshape back, then the per-channel affine. GroupNormalization itself is opset 18+
    /// and changed meaning in 21, so the spelled-out form is the portable one.
    /// </summary>
    public string GroupNorm(string x, string prefix, long groups, double eps)
    {
        var (_, shape) = W.Get(prefix + ".weight");
        var c = shape[0];
        var grouped = G.Node("Reshape", [x, Const(0, groups, -1)], prefix);
        var ones = G.Floats(prefix + ".unit_scale", Enumerable.Repeat(1f, (int)groups).ToArray(), groups);
        var zeros = G.Floats(prefix + ".zero_bias", new float[groups], groups);
        var normed = G.Node("InstanceNormalization", [grouped, ones, zeros], prefix, Attr.Float("epsilon", (float)eps));
        var back = G.Node("Reshape", [normed, G.Node("Shape", [x], prefix)], prefix);
        var scaled = G.Node("Mul", [back, FloatParam(prefix + ".weight", c, 1, 1)], prefix);
        return G.Node("Add", [scaled, FloatParam(prefix + ".bias", c, 1, 1)], prefix);
    }

    /// <summary>LayerNorm over the last axis (opset 17's LayerNormalization).</summary>
    public string LayerNorm(string x, string prefix, double eps = 1e-5) =>
        G.Node("LayerNormalization", [x, FloatParam(prefix + ".weight"), FloatParam(prefix + ".bias")], prefix,
            Attr.Int("axis", -1), Attr.Float("epsilon", (float)eps));

    /// <summary>The Engine's Activation by name.</summary>
    public string Activation(string x, string name, string hint)
    {
        switch (name)
        {
            case "silu" or "swish":
                return G.Node("Mul", [x, G.Node("Sigmoid", [x], hint)], hint);
            case "gelu":
                // 0.5 x (1 + erf(x / sqrt 2)), PyTorch's exact GELU.
                var e = G.Node("Erf", [G.Node("Mul", [x, G.Scalar("inv_sqrt2", (float)(1 / Math.Sqrt(2)))], hint)], hint);
                return G.Node("Mul", [G.Node("Mul", [x, G.Scalar("half", 0.5f)], hint), G.Node("Add", [e, G.Scalar("one", 1f)], hint)], hint);
            case "gelu_tanh":
                // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), PyTorch's approximate='tanh'.
                var x3 = G.Node("Mul", [G.Node("Mul", [x, x], hint), x], hint);
                var inner = G.Node("Add", [x, G.Node("Mul", [x3, G.Scalar("c", 0.044715f)], hint)], hint);
                var th = G.Node("Tanh", [G.Node("Mul", [inner, G.Scalar("k", (float)Math.Sqrt(2 / Math.PI))], hint)], hint);
                return G.Node("Mul", [G.Node("Mul", [x, G.Scalar("half", 0.5f)], hint), G.Node("Add", [th, G.Scalar("one", 1f)], hint)], hint);
            case "relu":
                return G.Node("Relu", [x], hint);
            case "tanh":
                return G.Node("Tanh", [x], hint);
            case "identity":
                return x;
            default:
                throw new NotSupportedException($"ONNX export: activation '{name}' is not supported");
        }
    }

    /// <summary>Engine Embedding: rows of the table gathered by int64 indices.</summary>
    public string Embedding(string indices, string prefix) =>
        G.Node("Gather", [FloatParam(prefix + ".weight"), indices], prefix, Attr.Int("axis", 0));

    /// <summary>
    /// Sinusoidal timestep features as probed from the model's function (<see cref="SinusoidProbe"/>): per column,
    /// sin(t f_j), cos(t f_j) or 0, from the float32 product t f_j.
    /// </summary>
    public string Sinusoid(string timesteps, SinusoidColumn[] kinds, float[] freqs, string hint)
    {
        var dim = kinds.Length;
        var args = G.Node("Mul", [G.Node("Unsqueeze", [timesteps, Const(1)], hint), G.Floats(hint + ".freqs", freqs, 1, dim)], hint);
        var sinMask = kinds.Select(k => k == SinusoidColumn.Sin ? 1f : 0f).ToArray();
        var cosMask = kinds.Select(k => k == SinusoidColumn.Cos ? 1f : 0f).ToArray();
        // A mask multiply and add of exact zeros leaves every selected value bit for bit.
        var s = G.Node("Mul", [G.Node("Sin", [args], hint), G.Floats(hint + ".sin_mask", sinMask, 1, dim)], hint);
        var c = G.Node("Mul", [G.Node("Cos", [args], hint), G.Floats(hint + ".cos_mask", cosMask, 1, dim)], hint);
        return G.Node("Add", [s, c], hint);
    }
}
