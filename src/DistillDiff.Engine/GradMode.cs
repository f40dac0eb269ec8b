namespace DistillDiff.Engine;

using static DistillDiff.Engine.Native.NativeMethods;

/// <summary>Restores the previous grad mode when disposed (see <see cref="Torch.NoGrad"/>).</summary>
public readonly struct GradMode : IDisposable
{
    private readonly bool _previous;

    internal GradMode(bool enabled)
    {
        _previous = IsEnabled;
        Tensor.Check(dd_set_grad_enabled(enabled ? 1 : 0), "set_grad_enabled");
    }

    /// <summary>Whether autograd records operations on this thread.</summary>
    public static bool IsEnabled => dd_grad_enabled() == 1;

    public void Dispose() => dd_set_grad_enabled(_previous ? 1 : 0);
}
