namespace DistillDiff.Engine.Tests;

using DistillDiff.Engine.Tests.Support;
using F = DistillDiff.Engine.Functional;

/// <summary>
/// Each op's forward against a plain C# loop (Support/Reference), and its gradients with respect to inputs and
/// weights against central finite differences in float64.
/// </summary>
public class GradientTests
{
    private static Tensor Leaf(Generator gen, params long[] shape) => Torch.Randn(shape, gen, DType.Float64).RequiresGrad_();

    private static double[] D(Tensor t) => t.Detach().ToArray<double>();

    [Fact]
    public void GradCheckItselfReportsAWrongGradient()
    {
        // Forward differs from the recorded graph: 2x with autograd on, 3x under no_grad (where the numerical side runs).
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(1);
        var x = Leaf(gen, 3);
        var failures = GradCheck.Mismatches(a => GradMode.IsEnabled ? a[0] * 2 : a[0] * 3, [x]);
        Assert.Equal(3, failures.Count);
    }

    [Fact]
    public void Conv2dWithStridePaddingGroupsAndBias()
    {
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(2);
        var x = Leaf(gen, 2, 4, 5, 5);
        var w = Leaf(gen, 6, 2, 3, 3);
        var b = Leaf(gen, 6);
        Tensor Conv(Tensor[] a) => F.Conv2d(a[0], a[1], a[2], stride: 2, padding: 1, groups: 2);

        var y = Conv([x, w, b]);
        var expected = Reference.Conv2d(D(x), x.Shape, D(w), w.Shape, D(b), 2, 1, 2, out var shape);
        Assert.Equal(shape, y.Shape);
        Reference.AssertClose(expected, D(y));
        GradCheck.Check(Conv, [x, w, b]);
    }

    [Fact]
    public void ConvTranspose2dStride2WithOutputPadding()
    {
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(3);
        var x = Leaf(gen, 1, 4, 3, 3);
        var w = Leaf(gen, 4, 3, 3, 3);
        var b = Leaf(gen, 6);
        Tensor Deconv(Tensor[] a) => F.ConvTranspose2d(a[0], a[1], a[2], stride: 2, padding: 1, outputPadding: 1, groups: 2);

        var y = Deconv([x, w, b]);
        var expected = Reference.ConvTranspose2d(D(x), x.Shape, D(w), w.Shape, D(b), 2, 1, 1, 2, out var shape);
        Assert.Equal(new long[] { 1, 6, 6, 6 }, shape);
        Assert.Equal(shape, y.Shape);
        Reference.AssertClose(expected, D(y));
        GradCheck.Check(Deconv, [x, w, b]);
    }

    [Fact]
    public void GroupNormWithAffine()
    {
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(4);
        var x = Leaf(gen, 2, 6, 3, 2);
        var w = Leaf(gen, 6);
        var b = Leaf(gen, 6);
        Tensor Gn(Tensor[] a) => F.GroupNorm(a[0], 3, a[1], a[2], eps: 1e-5);

        Reference.AssertClose(Reference.GroupNorm(D(x), x.Shape, 3, D(w), D(b), 1e-5), D(Gn([x, w, b])));
        GradCheck.Check(Gn, [x, w, b]);
    }

    [Fact]
    public void LinearAndLayerNorm()
    {
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(5);
        var x = Leaf(gen, 3, 4);
        var w = Leaf(gen, 5, 4);
        var b = Leaf(gen, 5);
        var lw = Leaf(gen, 5);
        var lb = Leaf(gen, 5);

        var (xd, wd, bd) = (D(x), D(w), D(b));
        var lin = new double[15];
        for (var i = 0; i < 3; i++)
            for (var o = 0; o < 5; o++)
                lin[i * 5 + o] = bd[o] + Enumerable.Range(0, 4).Sum(k => xd[i * 4 + k] * wd[o * 4 + k]);
        Reference.AssertClose(lin, D(F.Linear(x, w, b)));
        GradCheck.Check(a => F.Linear(a[0], a[1], a[2]), [x, w, b]);

        Tensor Ln(Tensor[] a) => F.LayerNorm(F.Linear(a[0], a[1], a[2]), [5], a[3], a[4]);
        Reference.AssertClose(Reference.LayerNorm(lin, 5, D(lw), D(lb), 1e-5), D(Ln([x, w, b, lw, lb])));
        GradCheck.Check(Ln, [x, w, b, lw, lb]);
    }

    [Fact]
    public void ScaledDotProductAttentionWithoutMask()
    {
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(6);
        var q = Leaf(gen, 2, 3, 4);
        var k = Leaf(gen, 2, 5, 4);
        var v = Leaf(gen, 2, 5, 3);

        var expected = Reference.Attention(D(q), D(k), D(v), 2, 3, 5, 4, 3, 1 / Math.Sqrt(4));
        Reference.AssertClose(expected, D(F.ScaledDotProductAttention(q, k, v)));
        Reference.AssertClose(expected, D(F.ScaledDotProductAttention(q, k, v, forceReference: true)));
        var scaled = Reference.Attention(D(q), D(k), D(v), 2, 3, 5, 4, 3, 0.3);
        Reference.AssertClose(scaled, D(F.ScaledDotProductAttention(q, k, v, scale: 0.3)));
        GradCheck.Check(a => F.ScaledDotProductAttention(a[0], a[1], a[2]), [q, k, v]);
    }

    [Fact]
    public void ScaledDotProductAttentionWithBoolFloatAndCausalMasks()
    {
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(7);
        var q = Leaf(gen, 2, 4, 3);
        var k = Leaf(gen, 2, 4, 3);
        var v = Leaf(gen, 2, 4, 2);
        static bool Keep(int b, int i, int j) => (b + i + j) % 3 != 0 || j == i;
        var keepData = new bool[2 * 4 * 4];
        for (var b = 0; b < 2; b++)
            for (var i = 0; i < 4; i++)
                for (var j = 0; j < 4; j++)
                    keepData[(b * 4 + i) * 4 + j] = Keep(b, i, j);
        var mask = Torch.FromArray(keepData, 2, 4, 4);
        var additive = Torch.Where(mask, Torch.Zeros([2, 4, 4], DType.Float64), Torch.Full([2, 4, 4], double.NegativeInfinity, DType.Float64));
        var scale = 1 / Math.Sqrt(3);

        var expected = Reference.Attention(D(q), D(k), D(v), 2, 4, 4, 3, 2, scale, Keep);
        Reference.AssertClose(expected, D(F.ScaledDotProductAttention(q, k, v, mask)));
        Reference.AssertClose(expected, D(F.ScaledDotProductAttention(q, k, v, mask, forceReference: true)));
        Reference.AssertClose(expected, D(F.ScaledDotProductAttention(q, k, v, additive)));
        Assert.True(F.ScaledDotProductAttention(q, k, v, mask).Equal(F.ScaledDotProductAttention(q, k, v, mask, forceReference: true)) || Torch.HasFusedAttention);
        var causal = Reference.Attention(D(q), D(k), D(v), 2, 4, 4, 3, 2, scale, (_, i, j) => j <= i);
        Reference.AssertClose(causal, D(F.ScaledDotProductAttention(q, k, v, causal: true)));

        GradCheck.Check(a => F.ScaledDotProductAttention(a[0], a[1], a[2], mask), [q, k, v]);
        GradCheck.Check(a => F.ScaledDotProductAttention(a[0], a[1], a[2], causal: true), [q, k, v]);
    }

    [Fact]
    public void InterpolateNearestAndBilinear()
    {
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(8);
        var x = Leaf(gen, 1, 2, 3, 4);

        Reference.AssertClose(Reference.Nearest(D(x), 2, 3, 4, 6, 8), D(F.Interpolate(x, scaleFactor: 2)));
        Reference.AssertClose(Reference.Nearest(D(x), 2, 3, 4, 5, 3), D(F.Interpolate(x, size: (5, 3))));
        Reference.AssertClose(Reference.Bilinear(D(x), 2, 3, 4, 5, 7, false), D(F.Interpolate(x, size: (5, 7), mode: "bilinear")));
        Reference.AssertClose(Reference.Bilinear(D(x), 2, 3, 4, 5, 7, true), D(F.Interpolate(x, size: (5, 7), mode: "bilinear", alignCorners: true)));

        GradCheck.Check(a => F.Interpolate(a[0], scaleFactor: 2), [x]);
        GradCheck.Check(a => F.Interpolate(a[0], size: (5, 3)), [x]);
        GradCheck.Check(a => F.Interpolate(a[0], size: (5, 7), mode: "bilinear"), [x]);
        GradCheck.Check(a => F.Interpolate(a[0], size: (2, 3), mode: "bilinear", alignCorners: true), [x]);
    }

    [Fact]
    public void SiluAndGelu()
    {
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(9);
        var x = Leaf(gen, 12);
        var xd = D(x);

        Reference.AssertClose(xd.Select(v => v / (1 + Math.Exp(-v))).ToArray(), D(F.Silu(x)));
        Reference.AssertClose(xd.Select(v => 0.5 * v * (1 + Reference.Erf(v / Math.Sqrt(2)))).ToArray(), D(F.Gelu(x)));
        Reference.AssertClose(xd.Select(v => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)))).ToArray(),
            D(F.Gelu(x, tanhApproximation: true)));

        GradCheck.Check(a => F.Silu(a[0]), [x]);
        GradCheck.Check(a => F.Gelu(a[0]), [x]);
        GradCheck.Check(a => F.Gelu(a[0], tanhApproximation: true), [x]);
    }

    [Fact]
    public void MseL1AndHuberLosses()
    {
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(10);
        var a = Leaf(gen, 3, 4);
        var b = Leaf(gen, 3, 4);
        var diff = D(a).Zip(D(b), (p, q) => p - q).ToArray();
        const double delta = 0.7;
        double Huber(double d) => Math.Abs(d) < delta ? 0.5 * d * d : delta * (Math.Abs(d) - 0.5 * delta);

        Assert.Equal(diff.Average(d => d * d), F.MseLoss(a, b).Item(), 12);
        Assert.Equal(diff.Sum(d => d * d), F.MseLoss(a, b, Reduction.Sum).Item(), 12);
        Assert.Equal(diff.Average(Math.Abs), F.L1Loss(a, b).Item(), 12);
        Assert.Equal(diff.Average(Huber), F.HuberLoss(a, b, delta: delta).Item(), 12);
        Reference.AssertClose(diff.Select(Huber).ToArray(), D(F.HuberLoss(a, b, Reduction.None, delta)));

        foreach (var red in new[] { Reduction.Mean, Reduction.Sum, Reduction.None })
        {
            GradCheck.Check(t => F.MseLoss(t[0], t[1], red), [a, b]);
            GradCheck.Check(t => F.L1Loss(t[0], t[1], red), [a, b]);
            GradCheck.Check(t => F.HuberLoss(t[0], t[1], red, delta), [a, b]);
        }
    }

    [Fact]
    public void AvgPool2dAndReflectPad()
    {
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(11);
        var x = Leaf(gen, 1, 2, 5, 5);

        Reference.AssertClose(Reference.AvgPool(D(x), 2, 5, 5, 2, 2, 0), D(F.AvgPool2d(x, 2)));
        Reference.AssertClose(Reference.AvgPool(D(x), 2, 5, 5, 3, 2, 1), D(F.AvgPool2d(x, 3, stride: 2, padding: 1)));
        var padded = F.Pad(x, [2, 1, 0, 3], PadMode.Reflect);
        Assert.Equal(new long[] { 1, 2, 8, 8 }, padded.Shape);
        Reference.AssertClose(Reference.ReflectPad(D(x), 2, 5, 5, 2, 1, 0, 3), D(padded));

        GradCheck.Check(a => F.AvgPool2d(a[0], 2), [x]);
        GradCheck.Check(a => F.AvgPool2d(a[0], 3, stride: 2, padding: 1), [x]);
        GradCheck.Check(a => F.Pad(a[0], [2, 1, 0, 3], PadMode.Reflect), [x]);
    }
}
