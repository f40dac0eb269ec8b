namespace DistillDiff.Diffusion.Tests.Support;

using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Schedules;
using DistillDiff.Engine;
using DistillDiff.Models;

/// <summary>
/// The exact denoiser of data N(mu, s^2) per feature: E[x0 | z_t] = mu + alpha s^2 / (alpha^2 s^2 + sigma^2) (z - alpha mu),
/// emitted in a chosen parameterisation. s = 0 is a point mass at mu (eps = (z - alpha mu) / sigma). Records how often
/// it was called and the last timesteps it saw.
/// </summary>
internal sealed class GaussianOracle(NoiseSchedule schedule, double mu, double s, Prediction output, int channels = 1) : DenoiserBackbone
{
    public int Calls { get; private set; }

    public double[] LastTimesteps { get; private set; } = [];

    public override int SampleChannels => channels;

    public override int OutChannels => output == Prediction.Both ? 2 * channels : channels;

    public override Tensor Forward(Tensor sample, Tensor timestep, Tensor? classLabels = null)
    {
        using var scope = Torch.NewDisposeScope();
        var ts = timestep.To(DType.Float64);
        Calls++;
        LastTimesteps = ts.ToArray<double>();
        // One time for the whole batch (a sampler's call): scalar alpha and sigma, cheap. Otherwise per sample.
        Tensor alpha, sigma;
        if (LastTimesteps.All(v => v == LastTimesteps[0]))
        {
            var t = schedule.TimeOf(0) * (LastTimesteps[0] + 1);
            (alpha, sigma) = (Torch.Scalar(schedule.Alpha(t), sample.DType), Torch.Scalar(schedule.Sigma(t), sample.DType));
        }
        else
        {
            var (at, st) = schedule.AlphaSigma((ts + 1) / schedule.NumTrainTimesteps);
            (alpha, sigma) = (Conversions.AsSampleShape(at, sample).To(sample.DType), Conversions.AsSampleShape(st, sample).To(sample.DType));
        }
        var gain = alpha * (s * s) / (alpha.Square() * (s * s) + sigma.Square());
        var x0 = gain * (sample - alpha * mu) + mu;
        var eps = (sample - alpha * x0) / sigma;
        var result = output switch
        {
            Prediction.Epsilon => eps,
            Prediction.Sample => x0,
            Prediction.V => alpha * eps - sigma * x0,
            Prediction.Both => Torch.Cat([x0, eps], 1),
            _ => throw new ArgumentOutOfRangeException(nameof(output)),
        };
        return scope.MoveOut(result);
    }
}
