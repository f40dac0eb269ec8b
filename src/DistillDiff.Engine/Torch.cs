namespace DistillDiff.Engine;

using DistillDiff.Engine.Native;
using static DistillDiff.Engine.Native.NativeMethods;

/// <summary>Tensor creation and library-wide settings, named as in PyTorch (torch.zeros → Torch.Zeros).</summary>
public static partial class Torch
{
    static Torch() => NativeLibraryLoader.Install();

    /// <summary>The dtype used when none is given.</summary>
    public static DType DefaultDType { get; set; } = DType.Float32;

    public static DisposeScope NewDisposeScope() => new();

    /// <summary>Turns autograd off on this thread until the returned value is disposed.</summary>
    public static GradMode NoGrad() => new(false);

    public static GradMode EnableGrad() => new(true);

    /// <summary>
    /// Autocast (mixed precision) on this thread until the returned scope is disposed, as torch.autocast:
    /// <c>using var _ = Torch.Autocast(DType.BFloat16);</c>. Scopes nest; <paramref name="enabled"/> false opens a
    /// scope that turns autocast off inside an enclosing one (e.g. for a float32 loss).
    /// </summary>
    public static Amp.AutocastScope Autocast(DType dtype, DeviceType device = DeviceType.CPU, bool enabled = true) => new(dtype, device, enabled);

    /// <summary>Native tensor handles currently alive (all threads): the number to watch for leaks.</summary>
    public static long LiveTensorCount => dd_live_tensors();

    public static long LiveGeneratorCount => dd_live_generators();

    public static unsafe Version LibTorchVersion
    {
        get
        {
            NativeLibraryLoader.Install();
            int a, b, c;
            dd_torch_version(&a, &b, &c);
            return new Version(a, b, c);
        }
    }

    /// <summary>
    /// Plain-path attention on this thread until disposed: for graphs that are differentiated twice (an R1 gradient
    /// penalty through a discriminator with attention), which libtorch 2.x's fused kernels cannot do.
    /// </summary>
    public static MathAttentionScope MathAttention() => new(true);

    /// <summary>Whether this libtorch has fused scaled-dot-product attention (2.1+); else a plain fallback is used.</summary>
    public static bool HasFusedAttention => dd_has_fused_attention() == 1;

    public static int NumThreads
    {
        get => dd_get_num_threads();
        set => Tensor.Check(dd_set_num_threads(value), "set_num_threads");
    }

    /// <summary>Seeds the default generators of every device (as torch.manual_seed).</summary>
    public static void ManualSeed(ulong seed) => Tensor.Check(dd_manual_seed(seed), "manual_seed");

    public static unsafe string ParallelInfo()
    {
        var n = dd_parallel_info(null, 0);
        Tensor.Check(n, "parallel_info");
        var buf = new byte[n + 1];
        fixed (byte* p = buf) dd_parallel_info(p, buf.Length);
        return System.Text.Encoding.UTF8.GetString(buf, 0, n);
    }

    // ---- creation ----

    private static unsafe Tensor Make(delegate*<long*, int, int, int, int, IntPtr> f, long[] shape, DType? dtype, Device? device, string op)
    {
        var d = device ?? Device.CPU;
        fixed (long* s = shape) return Tensor.Wrap(f(s, shape.Length, (int)(dtype ?? DefaultDType), (int)d.Type, d.Index), op);
    }

    public static unsafe Tensor Empty(long[] shape, DType? dtype = null, Device? device = null) => Make(&dd_empty, shape, dtype, device, "empty");
    public static Tensor Empty(params long[] shape) => Empty(shape, null, null);
    public static unsafe Tensor Zeros(long[] shape, DType? dtype = null, Device? device = null) => Make(&dd_zeros, shape, dtype, device, "zeros");
    public static Tensor Zeros(params long[] shape) => Zeros(shape, null, null);
    public static unsafe Tensor Ones(long[] shape, DType? dtype = null, Device? device = null) => Make(&dd_ones, shape, dtype, device, "ones");
    public static Tensor Ones(params long[] shape) => Ones(shape, null, null);

    public static unsafe Tensor Full(long[] shape, double value, DType? dtype = null, Device? device = null)
    {
        var d = device ?? Device.CPU;
        fixed (long* s = shape) return Tensor.Wrap(dd_full(s, shape.Length, value, (int)(dtype ?? DefaultDType), (int)d.Type, d.Index), "full");
    }

    /// <summary>A 0-d tensor holding one number.</summary>
    public static Tensor Scalar(double value, DType? dtype = null, Device? device = null) => Full([], value, dtype, device);

    public static Tensor Arange(double start, double end, double step = 1, DType? dtype = null, Device? device = null)
    {
        var d = device ?? Device.CPU;
        return Tensor.Wrap(dd_arange(start, end, step, (int)(dtype ?? DefaultDType), (int)d.Type, d.Index), "arange");
    }

    public static Tensor Arange(long end, DType dtype = DType.Int64, Device? device = null) => Arange(0, end, 1, dtype, device);

    public static Tensor Linspace(double start, double end, long steps, DType? dtype = null, Device? device = null)
    {
        var d = device ?? Device.CPU;
        return Tensor.Wrap(dd_linspace(start, end, steps, (int)(dtype ?? DefaultDType), (int)d.Type, d.Index), "linspace");
    }

    public static Tensor Eye(long n, DType? dtype = null, Device? device = null)
    {
        var d = device ?? Device.CPU;
        return Tensor.Wrap(dd_eye(n, (int)(dtype ?? DefaultDType), (int)d.Type, d.Index), "eye");
    }

    /// <summary>Standard normal samples; pass a generator for reproducible draws.</summary>
    public static unsafe Tensor Randn(long[] shape, Generator? gen = null, DType? dtype = null, Device? device = null)
    {
        var d = device ?? gen?.Device ?? Device.CPU;
        fixed (long* s = shape) return Tensor.Wrap(dd_randn(s, shape.Length, gen?.Handle ?? IntPtr.Zero, (int)(dtype ?? DefaultDType), (int)d.Type, d.Index), "randn");
    }

    public static Tensor Randn(params long[] shape) => Randn(shape, null);

    /// <summary>Uniform samples in [0, 1).</summary>
    public static unsafe Tensor Rand(long[] shape, Generator? gen = null, DType? dtype = null, Device? device = null)
    {
        var d = device ?? gen?.Device ?? Device.CPU;
        fixed (long* s = shape) return Tensor.Wrap(dd_rand(s, shape.Length, gen?.Handle ?? IntPtr.Zero, (int)(dtype ?? DefaultDType), (int)d.Type, d.Index), "rand");
    }

    public static Tensor Rand(params long[] shape) => Rand(shape, null);

    /// <summary>Integers uniform in [low, high).</summary>
    public static unsafe Tensor RandInt(long low, long high, long[] shape, Generator? gen = null, DType dtype = DType.Int64, Device? device = null)
    {
        var d = device ?? gen?.Device ?? Device.CPU;
        fixed (long* s = shape) return Tensor.Wrap(dd_randint(low, high, s, shape.Length, gen?.Handle ?? IntPtr.Zero, (int)dtype, (int)d.Type, d.Index), "randint");
    }

    public static Tensor RandPerm(long n, Generator? gen = null, Device? device = null)
    {
        var d = device ?? gen?.Device ?? Device.CPU;
        return Tensor.Wrap(dd_randperm(n, gen?.Handle ?? IntPtr.Zero, (int)DType.Int64, (int)d.Type, d.Index), "randperm");
    }

    public static Tensor ZerosLike(Tensor t) => Tensor.Wrap(dd_zeros_like(t.Handle), "zeros_like");
    public static Tensor OnesLike(Tensor t) => Tensor.Wrap(dd_ones_like(t.Handle), "ones_like");
    public static Tensor FullLike(Tensor t, double v) => Tensor.Wrap(dd_full_like(t.Handle, v), "full_like");
    public static Tensor RandnLike(Tensor t, Generator? gen = null) => Tensor.Wrap(dd_randn_like(t.Handle, gen?.Handle ?? IntPtr.Zero), "randn_like");
    public static Tensor RandLike(Tensor t, Generator? gen = null) => Tensor.Wrap(dd_rand_like(t.Handle, gen?.Handle ?? IntPtr.Zero), "rand_like");

    /// <summary>A tensor holding a copy of the array's elements, with the given shape (default: 1-d).</summary>
    public static unsafe Tensor FromArray<T>(T[] data, params long[] shape) where T : unmanaged =>
        FromSpan<T>(data, shape.Length == 0 ? [data.LongLength] : shape, null);

    public static unsafe Tensor FromSpan<T>(ReadOnlySpan<T> data, long[] shape, Device? device) where T : unmanaged =>
        FromBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data), shape, DTypes.Of<T>(), device);

    /// <summary>A tensor from raw little-endian element bytes of any dtype (bf16 and f16 included).</summary>
    public static unsafe Tensor FromBytes(ReadOnlySpan<byte> data, long[] shape, DType dtype, Device? device = null)
    {
        var d = device ?? Device.CPU;
        fixed (byte* p = data)
        fixed (long* s = shape)
            return Tensor.Wrap(dd_from_buffer(p, data.Length, s, shape.Length, (int)dtype, (int)d.Type, d.Index), "from_array");
    }

    /// <summary>
    /// Like <see cref="FromBytes"/> onto a CUDA device, staged through pinned (page-locked) host memory with a
    /// non-blocking copy: the call returns once the copy is queued, and the copy overlaps the GPU work before it
    /// (DataLoader's pin_memory). Refused with a <see cref="TorchException"/> for a CPU target or without a GPU.
    /// </summary>
    public static unsafe Tensor FromBytesPinned(ReadOnlySpan<byte> data, long[] shape, DType dtype, Device device)
    {
        fixed (byte* p = data)
        fixed (long* s = shape)
            return Tensor.Wrap(dd_from_buffer_pinned(p, data.Length, s, shape.Length, (int)dtype, (int)device.Type, device.Index), "pinned upload");
    }

    /// <summary>From host memory that the caller keeps alive during the call (e.g. a memory-mapped file).</summary>
    public static unsafe Tensor FromPointer(void* data, long nbytes, long[] shape, DType dtype, Device? device = null)
    {
        var d = device ?? Device.CPU;
        fixed (long* s = shape)
            return Tensor.Wrap(dd_from_buffer(data, nbytes, s, shape.Length, (int)dtype, (int)d.Type, d.Index), "from_pointer");
    }

    // ---- joins ----
    public static unsafe Tensor Cat(IReadOnlyList<Tensor> tensors, long dim = 0)
    {
        var hs = Tensor.Handles(tensors);
        fixed (IntPtr* p = hs) return Tensor.Wrap(dd_cat(p, hs.Length, dim), "cat");
    }

    public static unsafe Tensor Stack(IReadOnlyList<Tensor> tensors, long dim = 0)
    {
        var hs = Tensor.Handles(tensors);
        fixed (IntPtr* p = hs) return Tensor.Wrap(dd_stack(p, hs.Length, dim), "stack");
    }

    public static Tensor Where(Tensor condition, Tensor a, Tensor b) =>
        Tensor.Wrap(dd_where(condition.Handle, a.Handle, b.Handle), "where");

    public static unsafe Tensor Einsum(string equation, params Tensor[] operands)
    {
        var hs = Tensor.Handles(operands);
        var eq = System.Text.Encoding.ASCII.GetBytes(equation + "\0");
        fixed (byte* e = eq)
        fixed (IntPtr* p = hs) return Tensor.Wrap(dd_einsum((IntPtr)e, p, hs.Length), "einsum");
    }

    /// <summary>True when every element of every tensor is finite, with one host sync for the whole list.</summary>
    public static unsafe bool AllFinite(IReadOnlyList<Tensor> tensors)
    {
        var hs = Tensor.Handles(tensors);
        fixed (IntPtr* p = hs)
        {
            var r = dd_all_finite(p, hs.Length);
            Tensor.Check(r, "all_finite");
            return r == 1;
        }
    }
}
