namespace DistillDiff.Engine.Tests;

/// <summary>Gradients as values with a graph of their own (R1 penalties), compared with hand-derived formulas.</summary>
public class DoubleBackwardTests
{
    [Fact]
    public void R1PenaltyOfAQuadraticMatchesTheAnalyticGradient()
    {
        // D(x) = sum(w x^2)  =>  dD/dx = 2 w x,  R1 = ||2 w x||^2 = sum(4 w^2 x^2),  dR1/dw = 8 w x^2,  dR1/dx = 8 w^2 x.
        using var scope = Torch.NewDisposeScope();
        double[] xs = [0.5, -1.5, 2.0, 0.25], ws = [1.0, -0.5, 0.3, 2.0];
        var x = Torch.FromArray(xs).RequiresGrad_();
        var w = Torch.FromArray(ws).RequiresGrad_();

        var d = (w * x * x).Sum();
        var gx = Autograd.Grad(d, x, createGraph: true);
        Assert.True(gx.RequiresGrad);
        Support.Reference.AssertClose(xs.Zip(ws, (a, b) => 2 * a * b).ToArray(), gx.ToArray<double>(), 1e-14);

        var r1 = gx.Square().Sum();
        Assert.Equal(xs.Zip(ws, (a, b) => 4 * b * b * a * a).Sum(), r1.Item(), 12);
        r1.Backward();
        Support.Reference.AssertClose(xs.Zip(ws, (a, b) => 8 * b * a * a).ToArray(), w.Grad!.ToArray<double>(), 1e-14);
        Support.Reference.AssertClose(xs.Zip(ws, (a, b) => 8 * b * b * a).ToArray(), x.Grad!.ToArray<double>(), 1e-14);
    }

    [Fact]
    public void R1OnASmallNetworkTrainsTheWeightsThroughTheInputGradient()
    {
        // D(x) = sum(tanh(x W^T)), so dD/dx = (1 - tanh^2(x W^T)) W and the penalty's gradient w.r.t. W is non-trivial:
        // checked against central differences of the penalty itself.
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(3);
        var x = Torch.Randn([2, 3], gen, DType.Float64).RequiresGrad_();
        var w = Torch.Randn([4, 3], gen, DType.Float64).RequiresGrad_();

        double Penalty(double[] wv)
        {
            using var s = Torch.NewDisposeScope();
            var wt = Torch.FromArray(wv, 4, 3);
            var xi = x.Detach().RequiresGrad_();
            var g = Autograd.Grad(Functional.Linear(xi, wt).Tanh().Sum(), xi, createGraph: true);
            return g.Square().Sum().Item();
        }

        var grad = Autograd.Grad(Functional.Linear(x, w).Tanh().Sum(), x, createGraph: true);
        grad.Square().Sum().Backward();
        var analytic = w.Grad!.ToArray<double>();
        var wv0 = w.Detach().ToArray<double>();
        for (var i = 0; i < wv0.Length; i++)
        {
            var (plus, minus) = ((double[])wv0.Clone(), (double[])wv0.Clone());
            plus[i] += 1e-6;
            minus[i] -= 1e-6;
            var numeric = (Penalty(plus) - Penalty(minus)) / 2e-6;
            Assert.True(Math.Abs(numeric - analytic[i]) < 1e-6 * (1 + Math.Abs(numeric)), $"w[{i}]: autograd {analytic[i]}, numeric {numeric}");
        }
    }

    [Fact]
    public void AllowUnusedGivesNullForAnInputTheOutputIgnores()
    {
        using var scope = Torch.NewDisposeScope();
        var x = Torch.FromArray(new float[] { 1, 2, 3 }).RequiresGrad_();
        var unused = Torch.Ones(2).RequiresGrad_();
        var y = (x * x).Sum();

        var grads = Autograd.Grad([y], [x, unused], retainGraph: true, allowUnused: true);
        Assert.Equal(new float[] { 2, 4, 6 }, grads[0]!.ToArray<float>());
        Assert.Null(grads[1]);

        var ex = Assert.Throws<TorchException>(() => Autograd.Grad([y], [x, unused]));
        Assert.Contains("allow_unused", ex.Message);
    }

    [Fact]
    public void GradOutputsWeightTheOutputs()
    {
        using var scope = Torch.NewDisposeScope();
        var x = Torch.FromArray(new float[] { 1, 2, 3 }).RequiresGrad_();
        var y = x * x;
        var g = Autograd.Grad([y], [x], [Torch.FromArray(new float[] { 1, 0, -2 })]);
        Assert.Equal(new float[] { 2, 0, -12 }, g[0]!.ToArray<float>());
    }
}
