namespace DistillDiff.Models;

using DistillDiff.Engine;

/// <summary>
/// A backbone's forward pass through static input buffers (<see cref="StaticBufferCall"/>), one per input signature
/// (batch size, dtype, labels or none), so a sampler's loop replays the same buffers every step. With
/// <c>captureGraphs</c> each signature is captured once into a CUDA graph and every later step is one replay; without,
/// the same buffers run eagerly, which is how the graph path is checked on CPU against a plain forward.
/// Holds no weights of its own: the backbone must stay alive, and unchanged in place (a graph keeps reading the
/// parameters' storage, so loading other weights into the same tensors is seen; replacing the tensors is not).
/// </summary>
public sealed class StaticBackbone(DenoiserBackbone backbone, bool captureGraphs) : IDisposable
{
    private readonly Dictionary<string, StaticBufferCall> _calls = new(StringComparer.Ordinal);

    public bool CaptureGraphs => captureGraphs;

    /// <summary>Signatures seen so far (each one a static-buffer call, and a CUDA graph when capturing).</summary>
    public int Signatures => _calls.Count;

    /// <summary>Forward calls served by a graph replay.</summary>
    public long Replays => _calls.Values.Sum(c => c.Replays);

    public Tensor Forward(Tensor sample, Tensor timestep, Tensor? classLabels)
    {
        var key = $"{sample.DType}{string.Join(",", sample.Shape)}|{timestep.DType}{string.Join(",", timestep.Shape)}|" +
                  (classLabels is null ? "-" : $"{classLabels.DType}{string.Join(",", classLabels.Shape)}");
        if (!_calls.TryGetValue(key, out var call))
            _calls[key] = call = new StaticBufferCall(b => backbone.Forward(b[0]!, b[1]!, b[2]), captureGraphs);
        return call.Call(sample, timestep, classLabels);
    }

    public void Dispose()
    {
        foreach (var c in _calls.Values) c.Dispose();
        _calls.Clear();
    }
}
