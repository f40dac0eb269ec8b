namespace DistillDiff.Export.Onnx;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;

/// <summary>
/// A model's state dict as float32 arrays by dotted name, remembering which ones the emitter used, so an export that
/// silently skipped a parameter (a block the emitter does not know) fails instead of producing a different network.
/// </summary>
public sealed class WeightSource
{
    private readonly Dictionary<string, (float[] Data, long[] Shape)> _weights = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public WeightSource(Module model)
    {
        using var scope = Torch.NewDisposeScope();
        foreach (var (name, t) in model.StateDict())
            _weights[name] = (t.Detach().To(DType.Float32, Device.CPU).Contiguous().ToArray<float>(), t.Shape);
    }

    public bool Has(string name) => _weights.ContainsKey(name);

    public (float[] Data, long[] Shape) Get(string name)
    {
        if (!_weights.TryGetValue(name, out var w)) throw new InvalidOperationException($"ONNX export: the model has no parameter '{name}'");
        _used.Add(name);
        return w;
    }

    /// <summary>Throws when a parameter of the model was never emitted.</summary>
    public void CheckAllUsed(string model)
    {
        var unused = _weights.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unused.Count > 0)
            throw new InvalidOperationException($"ONNX export of {model} did not use {unused.Count} parameters ({string.Join(", ", unused.Take(5))}...): the exporter does not know a block of this network");
    }
}
