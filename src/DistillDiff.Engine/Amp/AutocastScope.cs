namespace DistillDiff.Engine.Amp;

using static DistillDiff.Engine.Native.NativeMethods;

/// <summary>
/// Autocast on one device type for the current thread until disposed (see <see cref="Torch.Autocast"/>): ops on
/// the autocast list (matmul, conv, linear, ...) run in the lower precision, precision-sensitive ones (softmax,
/// losses, norms) in float32, weights stay float32. libtorch keeps the state per thread, so a scope affects only
/// the thread that opened it; disposing restores the enabled flag and dtype it found, so scopes nest.
/// </summary>
public sealed class AutocastScope : IDisposable
{
    private readonly DeviceType _device;
    private readonly bool _previousEnabled;
    private readonly DType _previousDType;
    private readonly int _thread = Environment.CurrentManagedThreadId;
    private bool _disposed;

    internal AutocastScope(DType dtype, DeviceType device, bool enabled)
    {
        if (enabled) CheckSupported(dtype, device);
        _device = device;
        (_previousEnabled, _previousDType) = State(device);
        Tensor.Check(dd_autocast_enter(), "autocast");
        Tensor.Check(dd_autocast_set((int)device, enabled ? 1 : 0, (int)dtype), "autocast");
    }

    /// <summary>Whether autocast is on for the device type on this thread, and its lower-precision dtype.</summary>
    public static unsafe (bool Enabled, DType DType) State(DeviceType device)
    {
        int dtype;
        var enabled = dd_autocast_state((int)device, &dtype);
        Tensor.Check(enabled, "autocast_state");
        return (enabled == 1, (DType)dtype);
    }

    internal static void CheckSupported(DType dtype, DeviceType device)
    {
        if (dtype is not (DType.BFloat16 or DType.Float16))
            throw new ArgumentException($"autocast runs in bfloat16 or float16, not {dtype}");
        // libtorch 1.13's CPU autocast has bfloat16 kernels only (PyTorch disables it with a warning for float16).
        if (device == DeviceType.CPU && dtype == DType.Float16 && Torch.LibTorchVersion < new Version(2, 4))
            throw new ArgumentException($"float16 autocast on the CPU needs libtorch 2.4 or later (this is {Torch.LibTorchVersion}); use bfloat16");
    }

    public void Dispose()
    {
        if (_disposed) return;
        if (Environment.CurrentManagedThreadId != _thread)
            throw new InvalidOperationException("an autocast scope must be disposed on the thread that opened it (autocast state is per thread)");
        _disposed = true;
        Tensor.Check(dd_autocast_set((int)_device, _previousEnabled ? 1 : 0, (int)_previousDType), "autocast");
        Tensor.Check(dd_autocast_exit(), "autocast");
    }
}
