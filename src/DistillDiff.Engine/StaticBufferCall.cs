namespace DistillDiff.Engine;

/// <summary>
/// Runs a tensor function on static input buffers: each call copies its inputs into buffers made on the first call
/// and calls the function on those buffers. That is the shape CUDA graphs need (a replay reads the same addresses
/// every time), so with <c>captureGraph</c> the function is recorded once into a <see cref="CudaGraph"/> (after
/// warm-up iterations on a side stream, as torch.cuda.make_graphed_callables does) and every call is one copy per
/// input plus one replay. Without a graph (any CPU) the same buffers are used eagerly, so the graph-able path can be
/// checked against plain eager calls on machines without a GPU.
/// <para>Rules for the function: static shapes (one object per input signature; a call with other shapes is
/// refused), no host syncs (no Item, no CPU tensors copied in), no randomness, and the result is its only output.
/// The returned tensor is a fresh copy owned by the caller's scope.</para>
/// </summary>
public sealed class StaticBufferCall : IDisposable
{
    private readonly Func<Tensor?[], Tensor> _fn;
    private readonly int _warmup;
    private Tensor?[]? _buffers;
    private string[]? _signature;
    private CudaGraph? _graph;
    private Tensor? _output;
    private bool _disposed;

    /// <param name="fn">The function; it sees the static buffers (null where the caller passed null).</param>
    /// <param name="captureGraph">Record <paramref name="fn"/> into a CUDA graph on the first call (inputs must be on a CUDA device).</param>
    /// <param name="warmupIterations">Eager calls on the side stream before the capture (lazy initialisation stays out of the graph).</param>
    public StaticBufferCall(Func<Tensor?[], Tensor> fn, bool captureGraph, int warmupIterations = 3)
    {
        if (captureGraph && !Torch.Cuda.GraphsSupported)
            throw new InvalidOperationException(
                "CUDA graphs are not available here (they need a CUDA device and a native layer built against a CUDA libtorch)");
        ArgumentOutOfRangeException.ThrowIfNegative(warmupIterations);
        _fn = fn;
        CaptureGraph = captureGraph;
        _warmup = warmupIterations;
    }

    public bool CaptureGraph { get; }

    /// <summary>Calls so far that replayed the captured graph (0 on the eager path).</summary>
    public long Replays { get; private set; }

    public Tensor Call(params Tensor?[] inputs)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var signature = inputs.Select(Describe).ToArray();
        if (_buffers is null)
        {
            _signature = signature;
            _buffers = inputs.Select(t => t is null ? null : DisposeScope.Detach(t.Clone())).ToArray();
            if (CaptureGraph)
            {
                if (_buffers.FirstOrDefault(b => b is not null) is not { } any || !any.Device.IsCuda)
                    throw new ArgumentException("a CUDA graph needs its inputs on a CUDA device");
                Capture(any.Device);
            }
        }
        else
        {
            if (!signature.SequenceEqual(_signature!))
                throw new ArgumentException(
                    $"static-buffer call made for inputs ({string.Join("; ", _signature!)}) got ({string.Join("; ", signature)}): " +
                    "use one call object per input shape");
            for (var i = 0; i < inputs.Length; i++)
                if (inputs[i] is { } t && !ReferenceEquals(t, _buffers[i])) _buffers[i]!.Copy_(t);
        }
        if (_graph is null) return _fn(_buffers);
        _graph.Replay();
        Replays++;
        return _output!.Clone();
    }

    // Warm-up and capture on the graph's side stream. The capture only records kernels: the output holds results after
    // the first replay (Call replays right after this). Temporaries freed during the capture go back to the graph's
    // private memory pool, which the graph keeps for its replays.
    private void Capture(Device device)
    {
        var graph = new CudaGraph(device);
        try
        {
            graph.EnterSideStream();
            for (var i = 0; i < _warmup; i++)
            {
                using var scope = Torch.NewDisposeScope();
                _fn(_buffers!);
            }
            using (var scope = Torch.NewDisposeScope())
            {
                graph.CaptureBegin();
                _output = DisposeScope.Detach(_fn(_buffers!));
                graph.CaptureEnd();
            }
            graph.ExitSideStream();
            _graph = graph;
        }
        catch
        {
            // Freeing the graph ends a capture left open and makes the original stream current again.
            graph.Dispose();
            throw;
        }
    }

    private static string Describe(Tensor? t) =>
        t is null ? "none" : $"{t.DType.ToString().ToLowerInvariant()}[{string.Join(", ", t.Shape)}] on {t.Device}";

    public void Dispose()
    {
        _disposed = true;
        _graph?.Dispose();
        _graph = null;
        _output?.Dispose();
        _output = null;
        if (_buffers != null)
            foreach (var b in _buffers) b?.Dispose();
        _buffers = null;
    }
}
