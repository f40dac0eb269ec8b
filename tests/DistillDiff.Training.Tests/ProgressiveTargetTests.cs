namespace DistillDiff.Training.Tests;

using DistillDiff.Diffusion.Schedules;
using DistillDiff.Engine;
using DistillDiff.Training.Distillation;

/// <summary>
/// For Gaussian data x ~ N(mu, s^2) the ideal denoiser is linear in z: x_hat(z, t) = mu + k_t (z - alpha_t mu),
/// k_t = alpha_t s^2 / (alpha_t^2 s^2 + sigma_t^2). DDIM steps are then linear too, so a round's target is known in
/// closed form; these tests derive it by hand (in doubles) and compare with ProgressiveTarget in float64.
/// </summary>
public class ProgressiveTargetTests
{
    private const double Mu = 0.7, S = 0.4;
    private static readonly NoiseSchedule Schedule = ScheduleRegistry.Create("cosine_logsnr");

    private static double IdealX(double z, double t)
    {
        double a = Schedule.Alpha(t), s = Schedule.Sigma(t);
        return Mu + a * S * S / (a * a * S * S + s * s) * (z - a * Mu);
    }

    private static Tensor IdealX(Tensor z, Tensor t)
    {
        var zs = z.ToArray<double>();
        var ts = t.ToArray<double>();
        return Torch.FromArray(zs.Select((zi, i) => IdealX(zi, ts[i])).ToArray(), zs.Length, 1);
    }

    private static (Tensor, Tensor) AlphaSigma(Tensor t) =>
        (Torch.FromArray(t.ToArray<double>().Select(Schedule.Alpha).ToArray()), Torch.FromArray(t.ToArray<double>().Select(Schedule.Sigma).ToArray()));

    [Theory]
    [InlineData(4, 3, 1.3)]
    [InlineData(4, 1, -0.8)]
    [InlineData(64, 40, 0.2)]
    [InlineData(2, 1, 2.5)]
    public void MatchesTheHandSolvedTargetForGaussianData(int n, int i, double z)
    {
        double t = (i + 1.0) / n, t1 = t - 0.5 / n, t2 = t - 1.0 / n;
        double a = Schedule.Alpha(t), s = Schedule.Sigma(t), a1 = Schedule.Alpha(t1), s1 = Schedule.Sigma(t1), a2 = Schedule.Alpha(t2), s2 = Schedule.Sigma(t2);
        // Two teacher DDIM steps, written out: z' = a1 x + s1 (z - a x) / s, then again from t' to t''.
        var x = IdealX(z, t);
        var z1 = a1 * x + s1 * (z - a * x) / s;
        var x1 = IdealX(z1, t1);
        var z2 = a2 * x1 + s2 * (z1 - a1 * x1) / s1;
        var expected = (z2 - s2 / s * z) / (a2 - s2 / s * a);

        using var scope = Torch.NewDisposeScope();
        var target = ProgressiveTarget.Compute(IdealX, AlphaSigma, Torch.FromArray([z], 1, 1), Torch.FromArray([t]), n);
        Assert.Equal(expected, target.ToArray<double>()[0], 10);

        // The defining property: one student DDIM step t -> t'' with x = target lands where two teacher steps did.
        var zStudent = a2 * expected + s2 * (z - a * expected) / s;
        Assert.Equal(z2, zStudent, 10);
    }

    [Fact]
    public void LastStepTargetIsTheTeachersSecondPrediction()
    {
        const int n = 4;
        const double z = 0.9, t = 1.0 / n;
        double a = Schedule.Alpha(t), s = Schedule.Sigma(t), a1 = Schedule.Alpha(0.5 / n), s1 = Schedule.Sigma(0.5 / n);
        var x = IdealX(z, t);
        var z1 = a1 * x + s1 * (z - a * x) / s;
        var expected = IdealX(z1, 0.5 / n);

        using var scope = Torch.NewDisposeScope();
        var target = ProgressiveTarget.Compute(IdealX, AlphaSigma, Torch.FromArray([z], 1, 1), Torch.FromArray([t]), n);
        Assert.Equal(expected, target.ToArray<double>()[0], 12);
    }

    [Fact]
    public void WholeRoundOfIdealTeacherIsConsistentAcrossABatch()
    {
        // A batch mixing every student index, including the last (t'' = 0), gives each row its own hand value.
        const int n = 8;
        using var scope = Torch.NewDisposeScope();
        var ts = Enumerable.Range(0, n).Select(i => (i + 1.0) / n).ToArray();
        var zs = ts.Select((_, i) => -1.0 + 0.3 * i).ToArray();
        var target = ProgressiveTarget.Compute(IdealX, AlphaSigma, Torch.FromArray(zs, n, 1), Torch.FromArray(ts), n).ToArray<double>();
        for (var i = 0; i < n; i++)
        {
            var single = ProgressiveTarget.Compute(IdealX, AlphaSigma, Torch.FromArray([zs[i]], 1, 1), Torch.FromArray([ts[i]]), n);
            Assert.Equal(single.ToArray<double>()[0], target[i], 12);
        }
    }
}
