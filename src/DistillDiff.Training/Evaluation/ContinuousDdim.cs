namespace DistillDiff.Training.Evaluation;

using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Engine;
using DistillDiff.Training.Distillation;

/// <summary>
/// Deterministic DDIM on the continuous grid t_i = i/N, i = N..1 (Song et al. 2021, eta = 0): the sampler a
/// progressive-distillation student of N steps was trained to match (Salimans &amp; Ho 2022, Algorithm 2), and the
/// teacher's baseline at the same N. The output is the last x prediction, at t = 1/N.
/// </summary>
public static class ContinuousDdim
{
    public static Tensor Sample(Denoiser denoiser, int steps, long[] shape, Tensor? labels, Generator gen)
    {
        using var noGrad = Torch.NoGrad();
        var schedule = denoiser.Schedule;
        var batch = shape[0];
        var device = gen.Device;
        var z = Torch.Randn(shape, gen, DType.Float32, device);
        for (var i = steps; i >= 1; i--)
        {
            using var scope = Torch.NewDisposeScope();
            double t = i / (double)steps, s = (i - 1) / (double)steps;
            var output = denoiser.Predict(z, Torch.Full([batch], t, DType.Float32, device), labels);
            if (i == 1)
            {
                z.Dispose();
                return scope.MoveOut(output.X0);
            }
            var next = ProgressiveTarget.DdimStep(z, output.X0,
                Torch.Scalar(schedule.Alpha(t), DType.Float32, device), Torch.Scalar(schedule.Sigma(t), DType.Float32, device),
                Torch.Scalar(schedule.Alpha(s), DType.Float32, device), Torch.Scalar(schedule.Sigma(s), DType.Float32, device));
            z.Dispose();
            z = scope.MoveOut(next);
        }
        return z;
    }
}
