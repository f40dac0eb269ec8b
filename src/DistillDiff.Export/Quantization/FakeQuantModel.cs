namespace DistillDiff.Export.Quantization;

using DistillDiff.Engine;
using DistillDiff.Models;

/// <summary>
/// Weight fake-quantization in libtorch: loads into a model the dequantized weights a <see cref="QdqPolicy"/> put
/// in its graph (slices of split convolutions reassembled along their input channels), so the libtorch network
/// computes with exactly the quantized weights. Activations stay float: the engine has no hook between layers,
/// so activation quantization is simulated in ONNX Runtime instead (the QDQ graph with graph optimizations off).
/// </summary>
public static class FakeQuantModel
{
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
        var update = arrays.ToDictionary(kv => kv.Key, kv => Torch.FromArray(kv.Value.Data, kv.Value.Shape), StringComparer.Ordinal);
        model.LoadStateDict(update, strict: false);
    }
}
