namespace DistillDiff.Diffusion.Tests.Parameterisation;

using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Tests.Support;
using DistillDiff.Engine;

public class ConversionTests
{
    private static IEnumerable<(double X, double Eps, double Alpha, double Sigma)> Points()
    {
        var rng = new Random(7);
        for (var i = 0; i < 200; i++)
        {
            var angle = (0.02 + 0.96 * rng.NextDouble()) * Math.PI / 2; // alpha = cos, sigma = sin: VP
            yield return (rng.NextDouble() * 4 - 2, rng.NextDouble() * 6 - 3, Math.Cos(angle), Math.Sin(angle));
        }
    }

    [Fact]
    public void EpsX0AndVRoundTripInDoubles()
    {
        foreach (var (x, eps, a, s) in Points())
        {
            var z = a * x + s * eps;
            var v = Conversions.VFromEpsX(eps, x, a, s);
            Close.Equal(a * eps - s * x, v, 0, 1e-15);
            Close.Equal(x, Conversions.XFromV(z, v, a, s), 0, 1e-12, "x(v)");
            Close.Equal(eps, Conversions.EpsFromV(z, v, a, s), 0, 1e-12, "eps(v)");
            Close.Equal(x, Conversions.XFromEps(z, eps, a, s), 0, 1e-12, "x(eps)");
            Close.Equal(eps, Conversions.EpsFromX(z, x, a, s), 0, 1e-12, "eps(x)");
            Close.Equal(v, Conversions.VFromX(z, x, a, s), 0, 1e-12, "v(x)");
            Close.Equal(v, Conversions.VFromEps(z, eps, a, s), 0, 1e-12, "v(eps)");
            // eps -> x -> v -> eps
            var x1 = Conversions.XFromEps(z, eps, a, s);
            var v1 = Conversions.VFromX(z, x1, a, s);
            Close.Equal(eps, Conversions.EpsFromV(z, v1, a, s), 0, 1e-12, "eps -> x -> v -> eps");
            // "both" is the mix sigma^2 x_pred + (1 - sigma^2) x(eps_pred); exact heads give x.
            var (xp, ep) = (x + 0.3, eps - 0.2);
            Close.Equal(s * s * xp + (1 - s * s) * (z - s * ep) / a, Conversions.XFromBoth(z, xp, ep, a, s), 0, 1e-12, "both");
            Close.Equal(x, Conversions.XFromBoth(z, x, eps, a, s), 0, 1e-12, "both, exact heads");
        }
    }

    [Fact]
    public void TensorConversionsMatchTheScalarOnes()
    {
        using var scope = Torch.NewDisposeScope();
        var pts = Points().ToArray();
        var b = pts.Length;
        var x = Torch.FromArray(pts.Select(p => p.X).ToArray(), b, 1);
        var eps = Torch.FromArray(pts.Select(p => p.Eps).ToArray(), b, 1);
        var alpha = Torch.FromArray(pts.Select(p => p.Alpha).ToArray());   // [B]: broadcast over [B, 1]
        var sigma = Torch.FromArray(pts.Select(p => p.Sigma).ToArray());
        var z = Conversions.AsSampleShape(alpha, x) * x + Conversions.AsSampleShape(sigma, x) * eps;
        var v = Conversions.VFromEpsX(eps, x, alpha, sigma);
        Assert.Equal(new long[] { b, 1 }, v.Shape);
        var expectedV = pts.Select(p => p.Alpha * p.Eps - p.Sigma * p.X).ToArray();
        Close.AllEqual(expectedV, v.ToArray<double>(), 0, 1e-14, "v");
        Close.AllEqual(x.ToArray<double>(), Conversions.XFromV(z, v, alpha, sigma).ToArray<double>(), 0, 1e-12, "x(v)");
        Close.AllEqual(eps.ToArray<double>(), Conversions.EpsFromV(z, v, alpha, sigma).ToArray<double>(), 0, 1e-12, "eps(v)");
        Close.AllEqual(x.ToArray<double>(), Conversions.XFromEps(z, eps, alpha, sigma).ToArray<double>(), 0, 1e-12, "x(eps)");
        Close.AllEqual(eps.ToArray<double>(), Conversions.EpsFromX(z, x, alpha, sigma).ToArray<double>(), 0, 1e-12, "eps(x)");
        Close.AllEqual(expectedV, Conversions.VFromX(z, x, alpha, sigma).ToArray<double>(), 0, 1e-12, "v(x)");
        Close.AllEqual(expectedV, Conversions.VFromEps(z, eps, alpha, sigma).ToArray<double>(), 0, 1e-12, "v(eps)");
        Close.AllEqual(x.ToArray<double>(), Conversions.XFromBoth(z, x, eps, alpha, sigma).ToArray<double>(), 0, 1e-12, "both");

        // Scalar coefficients on tensors.
        var (a, s) = (0.6, 0.8);
        var zs = x * a + eps * s;
        Close.AllEqual(x.ToArray<double>(), Conversions.XFromEps(zs, eps, a, s).ToArray<double>(), 0, 1e-12, "x(eps) scalar");
        Close.AllEqual(eps.ToArray<double>(), Conversions.EpsFromX(zs, x, a, s).ToArray<double>(), 0, 1e-12, "eps(x) scalar");
        var vs = Conversions.VFromEpsX(eps, x, a, s);
        Close.AllEqual(x.ToArray<double>(), Conversions.XFromV(zs, vs, a, s).ToArray<double>(), 0, 1e-12, "x(v) scalar");
        Close.AllEqual(eps.ToArray<double>(), Conversions.EpsFromV(zs, vs, a, s).ToArray<double>(), 0, 1e-12, "eps(v) scalar");
        Close.AllEqual(vs.ToArray<double>(), Conversions.VFromX(zs, x, a, s).ToArray<double>(), 0, 1e-12, "v(x) scalar");
        Close.AllEqual(vs.ToArray<double>(), Conversions.VFromEps(zs, eps, a, s).ToArray<double>(), 0, 1e-12, "v(eps) scalar");
    }

    [Fact]
    public void TargetsAreWhatEachParameterisationOutputs()
    {
        using var scope = Torch.NewDisposeScope();
        var x0 = Torch.FromArray(new[] { 1.0, -2.0, 0.5, 3.0 }, 2, 2, 1, 1);   // [B=2, C=2, 1, 1]
        var eps = Torch.FromArray(new[] { 0.1, 0.2, -0.3, 0.4 }, 2, 2, 1, 1);
        var alpha = Torch.FromArray(new[] { 0.6, 0.8 });
        var sigma = Torch.FromArray(new[] { 0.8, 0.6 });
        var z = Conversions.AsSampleShape(alpha, x0) * x0 + Conversions.AsSampleShape(sigma, x0) * eps;
        Assert.True(Conversions.Target(Prediction.Epsilon, x0, eps, z, alpha, sigma).Equal(eps));
        Assert.True(Conversions.Target(Prediction.Sample, x0, eps, z, alpha, sigma).Equal(x0));
        double[] v = [0.6 * 0.1 - 0.8 * 1.0, 0.6 * 0.2 - 0.8 * -2.0, 0.8 * -0.3 - 0.6 * 0.5, 0.8 * 0.4 - 0.6 * 3.0];
        Close.AllEqual(v, Conversions.Target(Prediction.V, x0, eps, z, alpha, sigma).ToArray<double>(), 0, 1e-15, "v target");
        var both = Conversions.Target(Prediction.Both, x0, eps, z, alpha, sigma);
        Assert.Equal(new long[] { 2, 4, 1, 1 }, both.Shape);
        Assert.Equal(new[] { 1.0, -2.0, 0.1, 0.2, 0.5, 3.0, -0.3, 0.4 }, both.ToArray<double>());
    }

    [Fact]
    public void PredictionNamesAreDiffusers()
    {
        Assert.Equal(Prediction.V, PredictionNames.Parse("v_prediction"));
        Assert.Equal("v_prediction", PredictionNames.ToName(Prediction.V));
        foreach (var p in Enum.GetValues<Prediction>()) Assert.Equal(p, PredictionNames.Parse(PredictionNames.ToName(p)));
        Assert.Contains("v_prediction", Assert.Throws<ArgumentException>(() => PredictionNames.Parse("velocity")).Message);
    }
}
