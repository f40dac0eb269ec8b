namespace DistillDiff.Engine.Optim;

using DistillDiff.Engine.Nn;
using static DistillDiff.Engine.Native.NativeMethods;

/// <summary>
/// Shadow weights ema = decay * ema + (1 - decay) * param, updated in one native call. Samples and distillation
/// use the EMA weights of a teacher (Salimans &amp; Ho initialise each student from them).
/// </summary>
public sealed class ExponentialMovingAverage : IDisposable
{
    private readonly List<(string Name, Tensor Source)> _sources;
    private readonly Tensor[] _shadow;
    private readonly IntPtr[] _shadowHandles;

    public ExponentialMovingAverage(Module model, double decay)
    {
        if (decay is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(decay), decay, "EMA decay must be in [0, 1]");
        Decay = decay;
        _sources = model.NamedParameters().ToList();
        using var noGrad = Torch.NoGrad();
        _shadow = _sources.Select(p => DisposeScope.Detach(p.Source.Clone())).ToArray();   // under no_grad: plain copies
        _shadowHandles = Tensor.Handles(_shadow);
    }

    public double Decay { get; set; }

    public unsafe void Update()
    {
        // Source handles are read each time: Module.To replaces a parameter's native tensor.
        var sources = Tensor.Handles(_sources.Select(s => s.Source).ToList());
        fixed (IntPtr* e = _shadowHandles)
        fixed (IntPtr* p = sources)
            Tensor.Check(dd_ema_update(e, p, _shadow.Length, Decay), "ema update");
    }

    /// <summary>The shadow weights by parameter name (the EMA's own tensors: do not dispose).</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var sd = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (var i = 0; i < _shadow.Length; i++) sd[_sources[i].Name] = _shadow[i];
        return sd;
    }

    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        var missing = _sources.Where(s => !state.ContainsKey(s.Name)).Select(s => s.Name).ToList();
        if (missing.Count > 0) throw new ArgumentException($"EMA state lacks {missing.Count} parameters: {string.Join(", ", missing.Take(10))}");
        using var noGrad = Torch.NoGrad();
        for (var i = 0; i < _shadow.Length; i++) _shadow[i].Copy_(state[_sources[i].Name]);
    }

    /// <summary>Copies the shadow weights into a module with the same parameter names (e.g. a fresh copy for sampling).</summary>
    public unsafe void CopyTo(Module target)
    {
        var own = target.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        var dst = new IntPtr[_shadow.Length];
        for (var i = 0; i < _shadow.Length; i++)
            dst[i] = own.TryGetValue(_sources[i].Name, out var t) ? t.Handle
                : throw new ArgumentException($"the target module has no parameter '{_sources[i].Name}'");
        fixed (IntPtr* d = dst)
        fixed (IntPtr* s = _shadowHandles)
            Tensor.Check(dd_copy_all(d, s, dst.Length), "ema copy");
    }

    public void Dispose()
    {
        foreach (var t in _shadow) t.Dispose();
    }
}
