namespace DistillDiff.Engine;

using DistillDiff.Engine.Native;
using static DistillDiff.Engine.Native.NativeMethods;

/// <summary>
/// A seeded random-number generator on a device. Give each source of randomness its own generator (noise,
/// timesteps, data order) so a run is reproducible, and save <see cref="GetState"/> in checkpoints so a resumed
/// run draws the same numbers an uninterrupted one would.
/// </summary>
public sealed class Generator : IDisposable
{
    private IntPtr _handle;

    static Generator() => NativeLibraryLoader.Install();

    public Generator(ulong seed, Device? device = null)
    {
        Device = device ?? Device.CPU;
        _handle = dd_generator_new(seed, (int)Device.Type, Device.Index);
        if (_handle == IntPtr.Zero) throw TorchException.FromNative($"generator on {Device}");
    }

    ~Generator()
    {
        if (_handle != IntPtr.Zero) dd_generator_free(_handle);
    }

    public Device Device { get; }

    internal IntPtr Handle =>
        _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(Generator));

    /// <summary>The full generator state as bytes (as torch.Generator.get_state()).</summary>
    public byte[] GetState() => GetState(Handle);

    public void SetState(byte[] state) => SetState(Handle, state);

    public void Seed(ulong seed) => Tensor.Check(dd_generator_seed(Handle, seed), "generator seed");

    /// <summary>State of the default CPU generator (the one torch.manual_seed seeds; used by dropout).</summary>
    public static byte[] GetDefaultState() => GetState(IntPtr.Zero);

    public static void SetDefaultState(byte[] state) => SetState(IntPtr.Zero, state);

    private static byte[] GetState(IntPtr h)
    {
        using var t = Tensor.Wrap(dd_generator_get_state(h), "generator get_state");
        DisposeScope.Detach(t);
        return t.ToBytes();
    }

    private static void SetState(IntPtr h, byte[] state)
    {
        using var t = Torch.FromArray(state, state.LongLength);
        DisposeScope.Detach(t);
        Tensor.Check(dd_generator_set_state(h, t.Handle), "generator set_state (is the state from a generator of the same kind?)");
    }

    public void Dispose()
    {
        if (_handle == IntPtr.Zero) return;
        dd_generator_free(_handle);
        _handle = IntPtr.Zero;
        GC.SuppressFinalize(this);
    }
}
