namespace DistillDiff.Engine;

/// <summary>
/// Owns every tensor created on this thread while it is the innermost open scope, and disposes them when it
/// ends, except those moved out. The GC never sees native (CPU or GPU) memory, so a training step wrapped in a
/// scope frees its temporaries deterministically instead of waiting for finalizers:
/// <code>
/// using (var scope = Torch.NewDisposeScope()) { var loss = ...; loss.Backward(); scope.MoveOut(keep); }
/// </code>
/// Scopes nest; they are per thread, so a scope must be disposed on the thread that opened it.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? _current;

    private readonly List<Tensor> _owned = new();
    private bool _disposed;

    internal DisposeScope()
    {
        Parent = _current;
        _current = this;
    }

    /// <summary>The innermost open scope of this thread, or null.</summary>
    public static DisposeScope? Current => _current;

    public DisposeScope? Parent { get; }

    /// <summary>Tensors this scope will dispose when it ends (already-disposed ones included until then).</summary>
    public int OwnedCount => _owned.Count;

    internal static void Track(Tensor t)
    {
        var scope = _current;
        if (scope is null) return;
        t.Owner = scope;
        scope._owned.Add(t);
    }

    /// <summary>Hands the tensor to the enclosing scope (or to nobody: the caller then disposes it).</summary>
    public Tensor MoveOut(Tensor tensor)
    {
        if (tensor.Owner == this)
        {
            tensor.Owner = Parent;
            Parent?._owned.Add(tensor);
        }
        return tensor;
    }

    /// <summary>Moves several tensors out at once; see <see cref="MoveOut(Tensor)"/>.</summary>
    public void MoveOut(params Tensor[] tensors)
    {
        foreach (var t in tensors) MoveOut(t);
    }

    /// <summary>Takes the tensor out of every scope: it lives until disposed by hand (parameters, buffers, state).</summary>
    public static Tensor Detach(Tensor tensor)
    {
        tensor.Owner = null;
        return tensor;
    }

    public void Dispose()
    {
        if (_disposed) return;
        if (_current != this)
            throw new InvalidOperationException(
                "dispose scopes must end in the reverse order they were opened, on the thread that opened them");
        _disposed = true;
        _current = Parent;
        foreach (var t in _owned)
            if (t.Owner == this) t.Dispose();
        _owned.Clear();
    }
}
