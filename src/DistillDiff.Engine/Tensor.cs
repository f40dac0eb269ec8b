namespace DistillDiff.Engine;

using System.Runtime.InteropServices;
using DistillDiff.Engine.Native;
using static DistillDiff.Engine.Native.NativeMethods;

/// <summary>
/// A libtorch tensor behind an opaque native handle. Dispose it (or let a <see cref="DisposeScope"/> do so);
/// the finalizer frees a forgotten one too, but counts it in <see cref="FinalizedCount"/> as a leak to fix.
/// Every operation returns a new tensor; methods ending in '_' change this one in place, as in PyTorch.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private static long _finalized;
    private IntPtr _handle;

    static Tensor() => NativeLibraryLoader.Install();

    internal Tensor(IntPtr handle)
    {
        _handle = handle;
        DisposeScope.Track(this);
    }

    ~Tensor()
    {
        if (_handle == IntPtr.Zero) return;
        dd_free(_handle);
        _handle = IntPtr.Zero;
        Interlocked.Increment(ref _finalized);
    }

    /// <summary>Tensors freed by the finalizer rather than by Dispose: should stay 0 in a healthy program.</summary>
    public static long FinalizedCount => Interlocked.Read(ref _finalized);

    internal DisposeScope? Owner { get; set; }

    internal IntPtr Handle =>
        _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(Tensor), "the tensor was disposed");

    public bool IsDisposed => _handle == IntPtr.Zero;

    public void Dispose()
    {
        if (_handle == IntPtr.Zero) return;
        dd_free(_handle);
        _handle = IntPtr.Zero;
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Makes this object refer to <paramref name="replacement"/>'s native tensor and disposes the old one, keeping the
    /// C# identity: modules hold their parameters in fields, and Module.To(device) must not break those references.
    /// </summary>
    internal void ReplaceWith(Tensor replacement)
    {
        var h = replacement._handle;
        if (h == IntPtr.Zero) throw new ObjectDisposedException(nameof(Tensor));
        replacement._handle = IntPtr.Zero;
        GC.SuppressFinalize(replacement);
        if (_handle != IntPtr.Zero) dd_free(_handle);
        _handle = h;
    }

    // ---- results from the native layer ----
    internal static Tensor Wrap(IntPtr h, string op) => h != IntPtr.Zero ? new Tensor(h) : throw TorchException.FromNative(op);

    internal static void Check(int status, string op)
    {
        if (status < 0) throw TorchException.FromNative(op);
    }

    // ---- metadata ----
    public unsafe long[] Shape
    {
        get
        {
            var buf = stackalloc long[16];
            var n = dd_shape(Handle, buf, 16);
            Check(n, "shape");
            var s = new long[n];
            for (var i = 0; i < n; i++) s[i] = buf[i];
            return s;
        }
    }

    public int Dim => Checked(dd_ndim(Handle), "dim");

    public long NumEl
    {
        get
        {
            var n = dd_numel(Handle);
            if (n < 0) throw TorchException.FromNative("numel");
            return n;
        }
    }

    /// <summary>Size along a dimension; negative dims count from the end.</summary>
    public long Size(int dim)
    {
        var s = Shape;
        var d = dim < 0 ? dim + s.Length : dim;
        if (d < 0 || d >= s.Length)
            throw new ArgumentOutOfRangeException(nameof(dim), $"dimension {dim} out of range for a {s.Length}-d tensor");
        return s[d];
    }

    public DType DType => (DType)Checked(dd_dtype(Handle), "dtype");

    public unsafe Device Device
    {
        get
        {
            int index;
            var type = dd_device(Handle, &index);
            Check(type, "device");
            return new Device((DeviceType)type, index);
        }
    }

    public bool RequiresGrad
    {
        get => Checked(dd_requires_grad(Handle), "requires_grad") == 1;
        set => Check(dd_set_requires_grad(Handle, value ? 1 : 0), "requires_grad");
    }

    /// <summary>Sets requires_grad and returns this tensor, for chaining.</summary>
    public Tensor RequiresGrad_(bool value = true)
    {
        RequiresGrad = value;
        return this;
    }

    public bool IsLeaf => Checked(dd_is_leaf(Handle), "is_leaf") == 1;

    public bool IsContiguous => Checked(dd_is_contiguous(Handle), "is_contiguous") == 1;

    /// <summary>Whether the elements lie in channels_last (NHWC) order (a 4-d tensor; see <see cref="ChannelsLast"/>).</summary>
    public bool IsChannelsLast => Checked(dd_is_channels_last(Handle), "is_channels_last") == 1;

    private static int Checked(int v, string op) => v >= 0 ? v : throw TorchException.FromNative(op);

    public override string ToString()
    {
        if (IsDisposed) return "Tensor(disposed)";
        return $"Tensor(shape=[{string.Join(", ", Shape)}], dtype={DType.Name()}, device={Device})";
    }

    /// <summary>The elements as libtorch prints them (for debugging small tensors).</summary>
    public unsafe string ToDataString()
    {
        var needed = dd_to_string(Handle, null, 0);
        Check(needed, "to_string");
        var buf = new byte[needed + 1];
        fixed (byte* p = buf) Check(dd_to_string(Handle, p, buf.Length), "to_string");
        return System.Text.Encoding.UTF8.GetString(buf, 0, needed);
    }

    // ---- data in and out ----

    /// <summary>Copies the elements (row-major, from any device) into a new array of T, which must match the dtype.</summary>
    public unsafe T[] ToArray<T>() where T : unmanaged
    {
        var want = DTypes.Of<T>();
        if (want != DType)
            throw new InvalidOperationException($"ToArray<{typeof(T).Name}> on a {DType.Name()} tensor: convert with .To(DType.{want}) first");
        var result = new T[NumEl];
        fixed (T* p = result) Check(dd_to_buffer(Handle, p, (long)result.Length * sizeof(T)), "to_array");
        return result;
    }

    /// <summary>Copies the raw element bytes (any dtype, bf16 included) into a new array.</summary>
    public unsafe byte[] ToBytes()
    {
        var result = new byte[NumEl * DType.ElementSize()];
        fixed (byte* p = result) Check(dd_to_buffer(Handle, p, result.Length), "to_bytes");
        return result;
    }

    /// <summary>The single element as a double (syncs with the device).</summary>
    public unsafe double Item()
    {
        double v;
        Check(dd_item(Handle, &v), "item");
        return v;
    }

    public unsafe long ItemLong()
    {
        long v;
        Check(dd_item_long(Handle, &v), "item");
        return v;
    }

    // ---- conversion ----
    public Tensor To(Device device, bool nonBlocking = false) => To(DType, device, nonBlocking);

    public Tensor To(DType dtype) => To(dtype, Device);

    public Tensor To(DType dtype, Device device, bool nonBlocking = false, bool copy = false) =>
        Wrap(dd_to(Handle, (int)dtype, (int)device.Type, device.Index, nonBlocking ? 1 : 0, copy ? 1 : 0), "to");

    public Tensor Cpu() => To(Device.CPU);

    public Tensor Float() => To(DType.Float32);

    public Tensor Double() => To(DType.Float64);

    public Tensor Long() => To(DType.Int64);

    public Tensor Contiguous() => Wrap(dd_contiguous(Handle), "contiguous");

    /// <summary>channels_last (NHWC) memory layout: faster convolutions on tensor-core GPUs.</summary>
    public Tensor ChannelsLast() => Wrap(dd_to_memory_format(Handle, 1), "channels_last");

    public Tensor Clone() => Wrap(dd_clone(Handle), "clone");

    /// <summary>
    /// A copy in page-locked (pinned) host memory, so <c>To(cuda, nonBlocking: true)</c> is an asynchronous DMA copy
    /// that overlaps GPU work (DataLoader's pin_memory). Needs a CUDA device: on a machine without one it throws a
    /// <see cref="TorchException"/> saying so.
    /// </summary>
    public Tensor PinMemory() => Wrap(dd_pin_memory(Handle), "pin_memory");

    /// <summary>Whether the tensor lives in pinned host memory (always false without CUDA).</summary>
    public bool IsPinned => Checked(dd_is_pinned(Handle), "is_pinned") == 1;

    /// <summary>The same data without autograd history.</summary>
    public Tensor Detach() => Wrap(dd_detach(Handle), "detach");

    /// <summary>A second handle to the same tensor (same data, same autograd node), owned separately.</summary>
    public Tensor Alias() => Wrap(dd_alias(Handle), "alias");

    // ---- autograd ----

    /// <summary>The accumulated gradient as a new handle (dispose it), or null before any backward.</summary>
    public Tensor? Grad
    {
        get
        {
            var h = dd_grad(Handle);
            if (h != IntPtr.Zero) return new Tensor(h);
            if (dd_last_error() != IntPtr.Zero) throw TorchException.FromNative("grad");
            return null;
        }
        set => Check(dd_set_grad(Handle, value?.Handle ?? IntPtr.Zero), "set grad");
    }

    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false) =>
        Check(dd_backward(Handle, gradient?.Handle ?? IntPtr.Zero, retainGraph ? 1 : 0, createGraph ? 1 : 0), "backward");

    public void RetainGrad() => Check(dd_retain_grad(Handle), "retain_grad");

    /// <summary>Marshals a list of tensors into a handle array for a native call.</summary>
    internal static IntPtr[] Handles(IReadOnlyList<Tensor> ts)
    {
        var hs = new IntPtr[ts.Count];
        for (var i = 0; i < hs.Length; i++) hs[i] = ts[i].Handle;
        return hs;
    }

    internal static Tensor?[] WrapAll(IntPtr[] hs, int n)
    {
        var r = new Tensor?[n];
        for (var i = 0; i < n; i++) r[i] = hs[i] == IntPtr.Zero ? null : new Tensor(hs[i]);
        return r;
    }
}
