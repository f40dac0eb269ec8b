namespace DistillDiff.Export.Quantization;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;
using DistillDiff.Models;
using F = DistillDiff.Engine.Functional;

/// <summary>
/// Fake quantization in libtorch: the model computes what the QDQ graph of a <see cref="QdqPolicy"/> computes, from
/// the record the policy kept while writing that graph. Weights (and int32 biases) are replaced by their dequantized
/// values; each quantized Conv/Linear gets a <see cref="Conv2d.ForwardHook"/> that quantize-dequantizes its input
/// and (convs) its output with the calibrated parameters of the same sites; a split shortcut conv runs per part, each
/// part on its own input channels with its own ranges, as the graph does. The model's blocks run unchanged.
/// </summary>
public static class FakeQuantModel
{
    /// <summary>Loads the quantized weights and installs the activation hooks; disposing the result removes the hooks
    /// (the weights stay quantized: load the folder again for the float model).</summary>
    public static IDisposable Apply(DenoiserBackbone model, QdqPolicy policy)
    {
        LoadQuantizedWeights(model, policy);
        var modules = model.NamedModules().ToDictionary(m => m.Name, m => m.Module, StringComparer.Ordinal);
        var hooked = new List<Module>();
        foreach (var (name, layer) in policy.Layers)
        {
            if (!modules.TryGetValue(name, out var module))
                throw new InvalidOperationException($"fake quantization: the model has no layer '{name}' (the QDQ graph quantizes one)");
            var needsHook = layer.Input is not null || layer.Output is not null || layer.IsSplit;
            switch (module)
            {
                case Conv2d conv:
                    if (needsHook) conv.ForwardHook = layer.IsSplit ? SplitConv(conv, layer) : Around(layer);
                    break;
                case Linear linear:
                    if (layer.IsSplit || layer.Output is not null) throw new InvalidOperationException($"fake quantization: linear layer '{name}' has conv-only quantization");
                    if (needsHook) linear.ForwardHook = Around(layer);
                    break;
                default:
                    throw new InvalidOperationException($"fake quantization: '{name}' is a {module.GetType().Name}, not a Conv2d or Linear");
            }
            if (needsHook) hooked.Add(module);
        }
        return new Hooks(hooked);
    }

    /// <summary>Weights only: the dequantized weights (split slices reassembled along their input channels) and biases.</summary>
    public static void LoadQuantizedWeights(DenoiserBackbone model, QdqPolicy policy)
    {
        using var noGrad = Torch.NoGrad();
        using var scope = Torch.NewDisposeScope();
        var sd = model.StateDict();
        var arrays = new Dictionary<string, (float[] Data, long[] Shape)>(StringComparer.Ordinal);
        foreach (var slice in policy.FakeQuantWeights)
        {
            if (!sd.TryGetValue(slice.Param, out var t)) throw new InvalidOperationException($"fake quantization: the model has no parameter '{slice.Param}'");
            if (!arrays.TryGetValue(slice.Param, out var full))
                arrays[slice.Param] = full = (t.Detach().To(DType.Float32, Device.CPU).Contiguous().ToArray<float>(), t.Shape);
            var shape = full.Shape;
            if (slice.InputOffset == 0 && slice.Dims.SequenceEqual(shape))
            {
                Array.Copy(slice.Values, full.Data, full.Data.Length);
                continue;
            }
            // A slice [out, c, kh, kw] of a weight [out, in, kh, kw] at input channel offset.
            var inner = shape.Skip(2).Aggregate(1L, (a, b) => a * b);
            var (outCh, inCh, c) = (shape[0], shape[1], slice.Dims[1]);
            for (long o = 0; o < outCh; o++)
                Array.Copy(slice.Values, o * c * inner, full.Data, (o * inCh + slice.InputOffset) * inner, c * inner);
        }
        foreach (var (name, layer) in policy.Layers)
            if (layer.Bias is { } b)
                arrays[name + ".bias"] = (b, [b.Length]);
        var update = arrays.ToDictionary(kv => kv.Key, kv => Torch.FromArray(kv.Value.Data, kv.Value.Shape), StringComparer.Ordinal);
        model.LoadStateDict(update, strict: false);
    }

    /// <summary>
    /// QuantizeLinear then DequantizeLinear as ONNX defines them: (clamp(round_half_even(x / s) + zp, qmin, qmax) - zp) * s,
    /// computed as clamp(round(x / s), qmin - zp, qmax - zp) * s (the same numbers: integers below 2^24 are exact in
    /// float) with the last two steps in place, three passes over the tensor. Division (not multiplication by 1 / s)
    /// and half-to-even rounding as ONNX Runtime's kernels, so a value lands on the same level as in the graph unless
    /// the float input itself differs.
    /// </summary>
    public static Tensor QuantDequant(Tensor x, QuantParams p)
    {
        using var scope = Torch.NewDisposeScope();
        var q = x.Div(p.Scale).Round().Clamp_(p.QMin - p.ZeroPoint, p.QMax - p.ZeroPoint).Mul_(p.Scale);
        return scope.MoveOut(q);
    }

    private static Tensor Maybe(Tensor x, QuantParams? p) => p is { } q ? QuantDequant(x, q) : x;

    /// <summary>Input and output quantized around the layer's own forward (with its quantized weight and bias).</summary>
    private static Func<Tensor, Func<Tensor, Tensor>, Tensor> Around(LayerQuant layer) => (x, plain) =>
    {
        using var scope = Torch.NewDisposeScope();
        return scope.MoveOut(Maybe(plain(Maybe(x, layer.Input)), layer.Output));
    };

    /// <summary>The split shortcut: sum over parts of quant(conv(quant(x[:, part]), W[:, part])), plus the float bias.</summary>
    private static Func<Tensor, Func<Tensor, Tensor>, Tensor> SplitConv(Conv2d conv, LayerQuant layer) => (x, _) =>
    {
        if (conv.Weight.Size(2) != 1 || conv.Weight.Size(3) != 1) throw new InvalidOperationException("fake quantization: split convolution needs a 1 x 1 kernel");
        using var scope = Torch.NewDisposeScope();
        Tensor? sum = null;
        foreach (var part in layer.Parts)
        {
            var xp = Maybe(x.Narrow(1, part.Offset, part.Channels), part.Input);
            var y = Maybe(F.Conv2d(xp, conv.Weight.Narrow(1, part.Offset, part.Channels), null), part.Output);
            sum = sum is null ? y : sum + y;
        }
        if (conv.Bias is { } b) sum = sum! + b.View(1, -1, 1, 1);
        return scope.MoveOut(sum!);
    };

    private sealed class Hooks(List<Module> modules) : IDisposable
    {
        public void Dispose()
        {
            foreach (var m in modules)
            {
                if (m is Conv2d c) c.ForwardHook = null;
                else if (m is Linear l) l.ForwardHook = null;
            }
        }
    }
}
