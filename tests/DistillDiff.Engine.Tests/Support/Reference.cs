namespace DistillDiff.Engine.Tests.Support;

/// <summary>
/// Plain C# loops over row-major double arrays: the independent forward values the engine's ops are compared
/// with. Written from the PyTorch documentation's formulas, not from the engine's code.
/// </summary>
internal static class Reference
{
    /// <summary>conv2d, x [N,C,H,W], w [O,C/g,K,K], square stride/padding, dilation 1.</summary>
    public static double[] Conv2d(double[] x, long[] xs, double[] w, long[] ws, double[]? b, int stride, int pad, int groups, out long[] outShape)
    {
        var (n, c, h, wd) = (xs[0], xs[1], xs[2], xs[3]);
        var (o, cg, k) = (ws[0], ws[1], ws[2]);
        var og = o / groups;
        var ho = (h + 2 * pad - k) / stride + 1;
        var wo = (wd + 2 * pad - k) / stride + 1;
        outShape = [n, o, ho, wo];
        var y = new double[n * o * ho * wo];
        for (var ni = 0; ni < n; ni++)
            for (var oi = 0; oi < o; oi++)
                for (var i = 0; i < ho; i++)
                    for (var j = 0; j < wo; j++)
                    {
                        var acc = b?[oi] ?? 0;
                        var g = oi / og;
                        for (var ci = 0; ci < cg; ci++)
                            for (var u = 0; u < k; u++)
                                for (var v = 0; v < k; v++)
                                {
                                    var (r, s) = (i * stride - pad + u, j * stride - pad + v);
                                    if (r < 0 || r >= h || s < 0 || s >= wd) continue;
                                    acc += x[((ni * c + g * cg + ci) * h + r) * wd + s] * w[((oi * cg + ci) * k + u) * k + v];
                                }
                        y[((ni * o + oi) * ho + i) * wo + j] = acc;
                    }
        return y;
    }

    /// <summary>conv_transpose2d as the scatter of each input pixel times the kernel; w [C, O/g, K, K].</summary>
    public static double[] ConvTranspose2d(double[] x, long[] xs, double[] w, long[] ws, double[]? b, int stride, int pad, int outputPadding, int groups, out long[] outShape)
    {
        var (n, c, h, wd) = (xs[0], xs[1], xs[2], xs[3]);
        var (og, k) = (ws[1], ws[2]);
        var o = og * groups;
        var cg = c / groups;
        var ho = (h - 1) * stride - 2 * pad + k + outputPadding;
        var wo = (wd - 1) * stride - 2 * pad + k + outputPadding;
        outShape = [n, o, ho, wo];
        var y = new double[n * o * ho * wo];
        for (var ni = 0; ni < n; ni++)
            for (var oi = 0; oi < o; oi++)
                for (var p = 0; p < ho * wo; p++)
                    y[(ni * o + oi) * ho * wo + p] = b?[oi] ?? 0;
        for (var ni = 0; ni < n; ni++)
            for (var ci = 0; ci < c; ci++)
                for (var i = 0; i < h; i++)
                    for (var j = 0; j < wd; j++)
                    {
                        var xv = x[((ni * c + ci) * h + i) * wd + j];
                        var g = ci / cg;
                        for (var oc = 0; oc < og; oc++)
                            for (var u = 0; u < k; u++)
                                for (var v = 0; v < k; v++)
                                {
                                    var (r, s) = (i * stride - pad + u, j * stride - pad + v);
                                    if (r < 0 || r >= ho || s < 0 || s >= wo) continue;
                                    y[((ni * o + g * og + oc) * ho + r) * wo + s] += xv * w[((ci * og + oc) * k + u) * k + v];
                                }
                    }
        return y;
    }

    /// <summary>group_norm over [N,C,*]: biased variance per (sample, group), then per-channel affine.</summary>
    public static double[] GroupNorm(double[] x, long[] xs, int groups, double[]? w, double[]? b, double eps)
    {
        var (n, c) = (xs[0], xs[1]);
        var spatial = x.Length / (n * c);
        var cg = c / groups;
        var y = new double[x.Length];
        for (var ni = 0; ni < n; ni++)
            for (var g = 0; g < groups; g++)
            {
                var start = (ni * c + g * cg) * spatial;
                var count = cg * spatial;
                var seg = x.AsSpan((int)start, (int)count).ToArray();
                var mean = seg.Average();
                var var_ = seg.Select(v => (v - mean) * (v - mean)).Average();
                for (var t = 0; t < count; t++)
                {
                    var ch = g * cg + t / spatial;
                    y[start + t] = (seg[t] - mean) / Math.Sqrt(var_ + eps) * (w?[ch] ?? 1) + (b?[ch] ?? 0);
                }
            }
        return y;
    }

    /// <summary>layer_norm over the last dim.</summary>
    public static double[] LayerNorm(double[] x, int last, double[]? w, double[]? b, double eps)
    {
        var y = new double[x.Length];
        for (var row = 0; row < x.Length / last; row++)
        {
            var seg = x.AsSpan(row * last, last).ToArray();
            var mean = seg.Average();
            var var_ = seg.Select(v => (v - mean) * (v - mean)).Average();
            for (var t = 0; t < last; t++)
                y[row * last + t] = (seg[t] - mean) / Math.Sqrt(var_ + eps) * (w?[t] ?? 1) + (b?[t] ?? 0);
        }
        return y;
    }

    /// <summary>softmax(q k^T * scale + mask) v for [B, L, E] q and [B, S, E] k, v; keep[b,l,s] false masks a score out.</summary>
    public static double[] Attention(double[] q, double[] k, double[] v, int batch, int l, int s, int e, int ev, double scale, Func<int, int, int, bool>? keep = null)
    {
        var y = new double[batch * l * ev];
        for (var bi = 0; bi < batch; bi++)
            for (var i = 0; i < l; i++)
            {
                var scores = new double[s];
                for (var j = 0; j < s; j++)
                {
                    var dot = 0.0;
                    for (var d = 0; d < e; d++) dot += q[(bi * l + i) * e + d] * k[(bi * s + j) * e + d];
                    scores[j] = keep == null || keep(bi, i, j) ? dot * scale : double.NegativeInfinity;
                }
                var max = scores.Max();
                var p = scores.Select(z => Math.Exp(z - max)).ToArray();
                var sum = p.Sum();
                for (var d = 0; d < ev; d++)
                {
                    var acc = 0.0;
                    for (var j = 0; j < s; j++) acc += p[j] / sum * v[(bi * s + j) * ev + d];
                    y[(bi * l + i) * ev + d] = acc;
                }
            }
        return y;
    }

    /// <summary>Bilinear resize of [N*C, H, W] planes, PyTorch's source-index convention for both align_corners settings.</summary>
    public static double[] Bilinear(double[] x, int planes, int h, int w, int ho, int wo, bool alignCorners)
    {
        var y = new double[planes * ho * wo];
        for (var p = 0; p < planes; p++)
            for (var i = 0; i < ho; i++)
                for (var j = 0; j < wo; j++)
                {
                    var (r, r0, r1) = Source(i, h, ho, alignCorners);
                    var (c, c0, c1) = Source(j, w, wo, alignCorners);
                    double At(int a, int b2) => x[(p * h + a) * w + b2];
                    y[(p * ho + i) * wo + j] = (1 - r) * ((1 - c) * At(r0, c0) + c * At(r0, c1)) + r * ((1 - c) * At(r1, c0) + c * At(r1, c1));
                }
        return y;

        static (double Frac, int Lo, int Hi) Source(int dst, int inSize, int outSize, bool align)
        {
            double src = align
                ? (outSize > 1 ? dst * (inSize - 1) / (double)(outSize - 1) : 0)
                : Math.Max(0, (dst + 0.5) * inSize / outSize - 0.5);
            var lo = (int)Math.Floor(src);
            var hi = Math.Min(lo + 1, inSize - 1);
            return (src - lo, lo, hi);
        }
    }

    /// <summary>Nearest resize: source index floor(dst * in / out).</summary>
    public static double[] Nearest(double[] x, int planes, int h, int w, int ho, int wo)
    {
        var y = new double[planes * ho * wo];
        for (var p = 0; p < planes; p++)
            for (var i = 0; i < ho; i++)
                for (var j = 0; j < wo; j++)
                    y[(p * ho + i) * wo + j] = x[(p * h + Math.Min(i * h / ho, h - 1)) * w + Math.Min(j * w / wo, w - 1)];
        return y;
    }

    /// <summary>Average pool with zero padding counted in the divisor (count_include_pad, no ceil mode).</summary>
    public static double[] AvgPool(double[] x, int planes, int h, int w, int k, int stride, int pad)
    {
        var ho = (h + 2 * pad - k) / stride + 1;
        var wo = (w + 2 * pad - k) / stride + 1;
        var y = new double[planes * ho * wo];
        for (var p = 0; p < planes; p++)
            for (var i = 0; i < ho; i++)
                for (var j = 0; j < wo; j++)
                {
                    var acc = 0.0;
                    for (var u = 0; u < k; u++)
                        for (var v = 0; v < k; v++)
                        {
                            var (r, s) = (i * stride - pad + u, j * stride - pad + v);
                            if (r >= 0 && r < h && s >= 0 && s < w) acc += x[(p * h + r) * w + s];
                        }
                    y[(p * ho + i) * wo + j] = acc / (k * k);
                }
        return y;
    }

    /// <summary>Reflect padding of [planes, H, W] (the edge is not repeated).</summary>
    public static double[] ReflectPad(double[] x, int planes, int h, int w, int left, int right, int top, int bottom)
    {
        var (ho, wo) = (h + top + bottom, w + left + right);
        var y = new double[planes * ho * wo];
        for (var p = 0; p < planes; p++)
            for (var i = 0; i < ho; i++)
                for (var j = 0; j < wo; j++)
                    y[(p * ho + i) * wo + j] = x[(p * h + Reflect(i - top, h)) * w + Reflect(j - left, w)];
        return y;

        static int Reflect(int i, int n) => i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
    }

    /// <summary>erf by its Maclaurin series (converges to double precision for |x| &lt; 4).</summary>
    public static double Erf(double x)
    {
        double sum = 0, term = x;
        for (var n = 0; n < 200; n++)
        {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
            if (Math.Abs(term) < 1e-18) break;
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }

    public static void AssertClose(double[] expected, double[] actual, double tol = 1e-9)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }
}
