namespace DistillDiff.Engine;

using static DistillDiff.Engine.Native.NativeMethods;

/// <summary>
/// Until disposed, attention on this thread takes the plain softmax(QKᵀ)V path instead of the fused kernels, which
/// have no double backward (see <see cref="Torch.MathAttention"/>). Restores the previous mode, so scopes nest.
/// </summary>
public readonly struct MathAttentionScope : IDisposable
{
    private readonly int _previous;

    internal MathAttentionScope(bool on) => _previous = dd_set_math_attention(on ? 1 : 0);

    public void Dispose() => dd_set_math_attention(_previous);
}
