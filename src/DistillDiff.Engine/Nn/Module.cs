namespace DistillDiff.Engine.Nn;

/// <summary>
/// Base of every network: parameters, buffers and submodules registered under PyTorch-style dotted names
/// ("down_blocks.0.resnets.1.conv1.weight"), so state dicts line up with PyTorch/diffusers checkpoints.
/// A module owns its tensors: they live outside dispose scopes until <see cref="Dispose"/>.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<(string Name, Tensor Tensor)> _parameters = new();
    private readonly List<(string Name, Tensor Tensor, bool Persistent)> _buffers = new();
    private readonly List<(string Name, Module Module)> _children = new();
    private bool _disposed;

    /// <summary>Training mode (dropout active); set with <see cref="Train"/> / <see cref="Eval"/>.</summary>
    public bool Training { get; private set; } = true;

    protected Tensor RegisterParameter(string name, Tensor tensor, bool requiresGrad = true)
    {
        CheckName(name);
        DisposeScope.Detach(tensor);
        if (tensor.RequiresGrad != requiresGrad) tensor.RequiresGrad = requiresGrad;
        _parameters.Add((name, tensor));
        return tensor;
    }

    /// <summary>A tensor that is state but not trained (running statistics, fixed tables); persistent ones are saved.</summary>
    protected Tensor RegisterBuffer(string name, Tensor tensor, bool persistent = true)
    {
        CheckName(name);
        DisposeScope.Detach(tensor);
        _buffers.Add((name, tensor, persistent));
        return tensor;
    }

    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        _children.Add((name, module));
        return module;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"invalid name '{name}' in {GetType().Name}: names are non-empty and have no '.'");
        if (_parameters.Any(p => p.Name == name) || _buffers.Any(b => b.Name == name) || _children.Any(c => c.Name == name))
            throw new ArgumentException($"'{name}' is registered twice in {GetType().Name}");
    }

    public IEnumerable<(string Name, Module Module)> NamedChildren() => _children;

    /// <summary>This module and every submodule, depth first, with dotted names ("" for this one).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (name, child) in _children)
            foreach (var m in child.NamedModules(Join(prefix, name)))
                yield return m;
    }

    /// <summary>
    /// Every parameter once, depth first: a tensor shared by several modules (tied weights) appears under its first
    /// name only, as in PyTorch, so optimizers update it once and counts include it once.
    /// </summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters() => FirstOccurrences(AllNamedParameters());

    private IEnumerable<(string Name, Tensor Parameter)> AllNamedParameters()
    {
        foreach (var (prefix, m) in NamedModules())
            foreach (var (name, p) in m._parameters)
                yield return (Join(prefix, name), p);
    }

    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>The parameters an optimizer should update (requires_grad set).</summary>
    public IEnumerable<(string Name, Tensor Parameter)> TrainableParameters() => NamedParameters().Where(p => p.Parameter.RequiresGrad);

    /// <summary>Every buffer once (see <see cref="NamedParameters"/>).</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(bool persistentOnly = false) => FirstOccurrences(AllNamedBuffers(persistentOnly));

    private IEnumerable<(string Name, Tensor Buffer)> AllNamedBuffers(bool persistentOnly)
    {
        foreach (var (prefix, m) in NamedModules())
            foreach (var (name, b, persistent) in m._buffers)
                if (persistent || !persistentOnly)
                    yield return (Join(prefix, name), b);
    }

    private static IEnumerable<(string Name, Tensor Tensor)> FirstOccurrences(IEnumerable<(string Name, Tensor Tensor)> items)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var item in items)
            if (seen.Add(item.Tensor)) yield return item;
    }

    /// <summary>Total number of parameter elements.</summary>
    public long NumParameters(bool trainableOnly = false) =>
        NamedParameters().Where(p => !trainableOnly || p.Parameter.RequiresGrad).Sum(p => p.Parameter.NumEl);

    /// <summary>
    /// Parameters and persistent buffers by dotted name; a shared tensor appears under each of its names, as in
    /// PyTorch. The tensors are the module's own (not copies): read or save them, do not dispose them.
    /// </summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var sd = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (n, p) in AllNamedParameters()) sd[n] = p;
        foreach (var (n, b) in AllNamedBuffers(persistentOnly: true)) sd[n] = b;
        return sd;
    }

    /// <summary>
    /// Copies values into this module's tensors (converting dtype and device). Strict: every key must match by name
    /// and shape; otherwise nothing is copied and the exception lists each missing, unexpected and misshapen name.
    /// Non-strict: copies what matches and returns the rest.
    /// </summary>
    public StateDictLoadResult LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
    {
        var own = StateDict();
        var missing = own.Keys.Where(k => !stateDict.ContainsKey(k)).ToList();
        var unexpected = stateDict.Keys.Where(k => !own.ContainsKey(k)).ToList();
        var misshapen = new List<string>();
        foreach (var (k, t) in own)
        {
            if (!stateDict.TryGetValue(k, out var src)) continue;
            var (want, got) = (t.Shape, src.Shape);
            if (!want.SequenceEqual(got))
                misshapen.Add($"{k}: expected [{string.Join(", ", want)}], got [{string.Join(", ", got)}]");
            else if (t.DType.IsFloatingPoint() != src.DType.IsFloatingPoint())
                // Copy_ would convert integers to floats (or truncate floats) without a word: a float weight stored
                // as I32 loads as garbage. Float widths may differ (fp16 weights into an fp32 model are fine).
                misshapen.Add($"{k}: expected a {t.DType} tensor, got {src.DType}");
        }
        var result = new StateDictLoadResult(missing, unexpected, misshapen);
        if (strict && !result.IsExactMatch) throw new StateDictMismatchException(GetType().Name, result);
        using (Torch.NoGrad())
        {
            foreach (var (k, t) in own)
                if (stateDict.TryGetValue(k, out var src) && t.Shape.SequenceEqual(src.Shape) && t.DType.IsFloatingPoint() == src.DType.IsFloatingPoint())
                    t.Copy_(src);
        }
        return result;
    }

    /// <summary>Moves (and optionally casts floating-point) parameters and buffers in place; references stay valid.</summary>
    public Module To(Device device, DType? dtype = null) => Convert(_ => device, dtype);

    /// <summary>Casts floating-point parameters and buffers in place, each staying on its device; references stay valid.</summary>
    public Module To(DType dtype) => Convert(t => t.Device, dtype);

    /// <summary>
    /// Puts every 4-d parameter and buffer (convolution weights) in channels_last (NHWC) memory order, in place, as
    /// PyTorch's model.to(memory_format=torch.channels_last). Call it before making the optimizer, whose state then
    /// takes the same layout; feed the model channels_last inputs too (<see cref="Tensor.ChannelsLast"/>).
    /// </summary>
    public Module ToChannelsLast()
    {
        using var noGrad = Torch.NoGrad();
        foreach (var t in Parameters().Concat(NamedBuffers().Select(b => b.Buffer)))
        {
            if (t.Dim != 4 || t.IsChannelsLast) continue;
            var requiresGrad = t.RequiresGrad;
            var converted = DisposeScope.Detach(t.ChannelsLast());
            t.ReplaceWith(converted);
            if (requiresGrad) t.RequiresGrad = true;
        }
        return this;
    }

    private Module Convert(Func<Tensor, Device> deviceOf, DType? dtype)
    {
        using var noGrad = Torch.NoGrad();
        foreach (var t in Parameters().Concat(NamedBuffers().Select(b => b.Buffer)))
        {
            var device = deviceOf(t);
            var target = dtype is DType d && t.DType.IsFloatingPoint() ? d : t.DType;
            var current = t.Device;
            // "cuda" (index -1) means the current device: a tensor already on some CUDA device is not copied again.
            var sameDevice = current.Type == device.Type && (device.Index < 0 || current.Index == device.Index);
            if (sameDevice && t.DType == target) continue;
            var requiresGrad = t.RequiresGrad;
            var moved = t.To(target, device);
            DisposeScope.Detach(moved);
            t.ReplaceWith(moved);
            if (requiresGrad) t.RequiresGrad = true;
        }
        return this;
    }

    public Module Train(bool on = true)
    {
        foreach (var (_, m) in NamedModules()) m.Training = on;
        return this;
    }

    public Module Eval() => Train(false);

    /// <summary>Freezes (false) or unfreezes (true) every parameter.</summary>
    public Module RequiresGrad_(bool on)
    {
        foreach (var p in Parameters()) p.RequiresGrad = on;
        return this;
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var (_, c) in _children) c.Dispose();
        foreach (var (_, p) in _parameters) p.Dispose();
        foreach (var (_, b, _) in _buffers) b.Dispose();
        GC.SuppressFinalize(this);
    }
}
