namespace DistillDiff.Diffusion.Tests.Parameterisation;

using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Schedules;
using DistillDiff.Diffusion.Tests.Support;
using DistillDiff.Engine;

public class DenoiserTests
{
    private const double Mu = 0.7;
    private const double S = 0.4;

    [Theory]
    [InlineData(Prediction.Epsilon)]
    [InlineData(Prediction.Sample)]
    [InlineData(Prediction.V)]
    [InlineData(Prediction.Both)]
    public void EveryParameterisationGivesTheSameEstimates(Prediction prediction)
    {
        var schedule = new CosineSchedule();
        using var oracle = new GaussianOracle(schedule, Mu, S, prediction, channels: 3);
        var denoiser = new Denoiser(oracle, schedule, prediction);
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(3);
        double[] ts = [0.05, 0.5, 0.999, 1.0];
        var z = Torch.Randn([4, 3, 2, 2], gen, DType.Float64);
        var output = denoiser.Predict(z, Torch.FromArray(ts));

        // 1. The backbone saw timestep = t * N - 1.
        Assert.Equal(1, oracle.Calls);
        Close.AllEqual(ts.Select(t => t * 1000 - 1).ToArray(), oracle.LastTimesteps, 1e-12, 0, "timestep");
        Assert.Equal(prediction == Prediction.Both ? 6 : 3, output.Raw.Size(1));

        // 2. Per-sample alpha and sigma broadcast over [B, C, H, W]: compare with scalar formulas element by element.
        var zs = z.ToArray<double>();
        var (x0, eps) = (output.X0.ToArray<double>(), output.Eps.ToArray<double>());
        for (var i = 0; i < zs.Length; i++)
        {
            var t = ts[i / 12];
            var (a, s) = (schedule.Alpha(t), schedule.Sigma(t));
            var expectedX0 = Mu + a * S * S / (a * a * S * S + s * s) * (zs[i] - a * Mu);
            Close.Equal(expectedX0, x0[i], 1e-9, 1e-9, $"x0[{i}]");
            Close.Equal((zs[i] - a * expectedX0) / s, eps[i], 1e-9, 1e-9, $"eps[{i}]");
        }
    }

    [Fact]
    public void WorksOnVectorsAndFloat32()
    {
        var schedule = new LinearSchedule();
        using var oracle = new GaussianOracle(schedule, Mu, S, Prediction.V, channels: 5);
        var denoiser = new Denoiser(oracle, schedule, Prediction.V);
        using var scope = Torch.NewDisposeScope();
        var z = Torch.Ones([2, 5]);
        var output = denoiser.Predict(z, Torch.FromArray(new[] { 0.25f, 0.75f }));
        Assert.Equal(DType.Float32, output.X0.DType);
        Assert.Equal(new long[] { 2, 5 }, output.Eps.Shape);
        var a = schedule.Alpha(0.25);
        Close.Equal(Mu + a * S * S / (a * a * S * S + (1 - a * a)) * (1 - a * Mu), output.X0.ToArray<float>()[0], 1e-5);
    }

    [Fact]
    public void ChannelCountMustMatchThePrediction()
    {
        var schedule = new LinearSchedule();
        using var single = new GaussianOracle(schedule, 0, 1, Prediction.Epsilon);
        var ex = Assert.Throws<ArgumentException>(() => new Denoiser(single, schedule, Prediction.Both));
        Assert.Contains("needs 2", ex.Message);
        using var doubled = new GaussianOracle(schedule, 0, 1, Prediction.Both);
        Assert.Throws<ArgumentException>(() => new Denoiser(doubled, schedule, Prediction.V));
    }

    [Fact]
    public void ZeroTerminalSnrStaysFinite()
    {
        var schedule = new LinearSchedule(rescaleZeroTerminalSnr: true);
        using var scope = Torch.NewDisposeScope();
        var z = Torch.FromArray(new[] { 0.3, -1.2 }, 2, 1);
        var t = Torch.FromArray(new[] { 1.0, 1.0 });
        foreach (var p in Enum.GetValues<Prediction>())
        {
            using var oracle = new GaussianOracle(schedule, Mu, S, p);
            var output = new Denoiser(oracle, schedule, p).Predict(z, t);
            Assert.True(Torch.AllFinite([output.X0, output.Eps]), $"{p}: non-finite at zero SNR");
            if (p != Prediction.Epsilon) Close.AllEqual([Mu, Mu], output.X0.ToArray<double>(), 1e-12, 0, $"{p} x0 at t = 1");
        }
    }
}
