namespace DistillDiff.Engine;

using static DistillDiff.Engine.Native.NativeMethods;

/// <summary>How a loss reduces its elementwise values (values match at::Reduction).</summary>
public enum Reduction
{
    None = 0,
    Mean = 1,
    Sum = 2,
}

/// <summary>Padding modes of <see cref="Functional.Pad"/>.</summary>
public enum PadMode
{
    Constant = 0,
    Reflect = 1,
    Replicate = 2,
    Circular = 3,
}

/// <summary>Stateless network operations, as torch.nn.functional (alias it: <c>using F = DistillDiff.Engine.Functional;</c>).</summary>
public static class Functional
{
    private static IntPtr H(Tensor? t) => t?.Handle ?? IntPtr.Zero;

    private static Tensor W(IntPtr h, string op) => Tensor.Wrap(h, op);

    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null) => W(dd_linear(x.Handle, weight.Handle, H(bias)), "linear");

    public static unsafe Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, long groups = 1) =>
        Conv2d(x, weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

    public static unsafe Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, (long, long) stride, (long, long) padding, (long, long) dilation, long groups = 1)
    {
        long* s = stackalloc long[] { stride.Item1, stride.Item2 };
        long* p = stackalloc long[] { padding.Item1, padding.Item2 };
        long* d = stackalloc long[] { dilation.Item1, dilation.Item2 };
        return W(dd_conv2d(x.Handle, weight.Handle, H(bias), s, p, d, groups), "conv2d");
    }

    public static unsafe Tensor ConvTranspose2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int outputPadding = 0, long groups = 1, int dilation = 1)
    {
        long* s = stackalloc long[] { stride, stride };
        long* p = stackalloc long[] { padding, padding };
        long* o = stackalloc long[] { outputPadding, outputPadding };
        long* d = stackalloc long[] { dilation, dilation };
        return W(dd_conv_transpose2d(x.Handle, weight.Handle, H(bias), s, p, o, groups, d), "conv_transpose2d");
    }

    public static Tensor GroupNorm(Tensor x, long groups, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
        W(dd_group_norm(x.Handle, groups, H(weight), H(bias), eps), "group_norm");

    public static unsafe Tensor LayerNorm(Tensor x, long[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        fixed (long* s = normalizedShape) return W(dd_layer_norm(x.Handle, s, normalizedShape.Length, H(weight), H(bias), eps), "layer_norm");
    }

    public static Tensor Softmax(Tensor x, long dim) => W(dd_softmax(x.Handle, dim), "softmax");
    public static Tensor LogSoftmax(Tensor x, long dim) => W(dd_log_softmax(x.Handle, dim), "log_softmax");
    public static Tensor Silu(Tensor x) => x.Silu();
    public static Tensor Gelu(Tensor x, bool tanhApproximation = false) => x.Gelu(tanhApproximation);
    public static Tensor Relu(Tensor x) => x.Relu();
    public static Tensor LeakyRelu(Tensor x, double slope = 0.01) => x.LeakyRelu(slope);
    public static Tensor Dropout(Tensor x, double p, bool training) => W(dd_dropout(x.Handle, p, training ? 1 : 0), "dropout");
    public static Tensor Embedding(Tensor indices, Tensor weight) => W(dd_embedding(weight.Handle, indices.Handle), "embedding");

    /// <summary>
    /// softmax(Q K^T * scale + mask) V over (..., L, E) queries and (..., S, E) keys and values; scale defaults
    /// to 1/sqrt(E). On libtorch 2.1+ this is at::scaled_dot_product_attention (flash / memory-efficient kernels
    /// on CUDA); on 1.13 the same formula in plain ops. A bool mask keeps the positions where it is true.
    /// </summary>
    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor? mask = null, double dropout = 0,
        bool causal = false, double? scale = null, bool forceReference = false) =>
        W(dd_attention(q.Handle, k.Handle, v.Handle, H(mask), dropout, causal ? 1 : 0, scale ?? 0, forceReference ? 1 : 0), "attention");

    /// <summary>Nearest or bilinear resampling of NCHW input to a size, or by a scale factor.</summary>
    public static Tensor Interpolate(Tensor x, (long H, long W)? size = null, double? scaleFactor = null, string mode = "nearest", bool alignCorners = false)
    {
        var s = x.Shape;
        if (s.Length != 4) throw new ArgumentException($"interpolate expects NCHW input, got shape [{string.Join(", ", s)}]");
        var (h, w) = size ?? (scaleFactor is double f
            ? ((long)Math.Floor(s[2] * f), (long)Math.Floor(s[3] * f))
            : throw new ArgumentException("interpolate needs a size or a scale factor"));
        return mode switch
        {
            "nearest" => W(dd_upsample_nearest2d(x.Handle, h, w), "interpolate"),
            "bilinear" => W(dd_upsample_bilinear2d(x.Handle, h, w, alignCorners ? 1 : 0), "interpolate"),
            _ => throw new ArgumentException($"unknown interpolation mode '{mode}' (expected nearest or bilinear)"),
        };
    }

    public static unsafe Tensor AvgPool2d(Tensor x, int kernel, int? stride = null, int padding = 0)
    {
        long* k = stackalloc long[] { kernel, kernel };
        long* s = stackalloc long[] { stride ?? kernel, stride ?? kernel };
        long* p = stackalloc long[] { padding, padding };
        return W(dd_avg_pool2d(x.Handle, k, s, p), "avg_pool2d");
    }

    public static unsafe Tensor MaxPool2d(Tensor x, int kernel, int? stride = null, int padding = 0)
    {
        long* k = stackalloc long[] { kernel, kernel };
        long* s = stackalloc long[] { stride ?? kernel, stride ?? kernel };
        long* p = stackalloc long[] { padding, padding };
        return W(dd_max_pool2d(x.Handle, k, s, p), "max_pool2d");
    }

    public static Tensor AdaptiveAvgPool2d(Tensor x, long h, long w) => W(dd_adaptive_avg_pool2d(x.Handle, h, w), "adaptive_avg_pool2d");

    /// <summary>Pads the last dims: pads = (left, right, top, bottom, ...), as torch.nn.functional.pad.</summary>
    public static unsafe Tensor Pad(Tensor x, long[] pads, PadMode mode = PadMode.Constant, double value = 0)
    {
        fixed (long* p = pads) return W(dd_pad(x.Handle, p, pads.Length, (int)mode, value), "pad");
    }

    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        W(dd_mse_loss(input.Handle, target.Handle, (int)reduction), "mse_loss");

    public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        W(dd_l1_loss(input.Handle, target.Handle, (int)reduction), "l1_loss");

    public static Tensor HuberLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double delta = 1.0) =>
        W(dd_huber_loss(input.Handle, target.Handle, (int)reduction, delta), "huber_loss");

    public static Tensor CrossEntropy(Tensor logits, Tensor target, Reduction reduction = Reduction.Mean, double labelSmoothing = 0) =>
        W(dd_cross_entropy(logits.Handle, target.Handle, (int)reduction, labelSmoothing), "cross_entropy");
}
