namespace DistillDiff.Diffusion.Samplers;

using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Engine;

/// <summary>The sampling loop: any denoiser with any scheduler (EDM's generate.py in diffusers' verbs).</summary>
public static class Sampling
{
    /// <summary>
    /// Draws samples of <paramref name="shape"/> from noise: for each scheduler timestep n, evaluate the denoiser at
    /// t = (n + 1) / N on the scheduler's model input, hand it the output in the scheduler's prediction_type, step.
    /// Runs without autograd on the generator's device; multi-call schedulers (Heun) list their extra evaluations in
    /// Timesteps, so the loop needs no special case. The starting noise comes from <paramref name="gen"/>; the noise
    /// stochastic schedulers draw in their steps (few_step, ddpm) from <paramref name="stepNoise"/> when given, so that
    /// a caller drawing several batches from one generator starts every batch from the same noise whatever the sampler.
    /// </summary>
    public static Tensor Sample(Denoiser denoiser, IScheduler scheduler, int steps, long[] shape, Tensor? labels,
        Generator gen, DType dtype = DType.Float32, Generator? stepNoise = null)
    {
        var schedule = denoiser.Schedule;
        if (schedule.NumTrainTimesteps != scheduler.Schedule.NumTrainTimesteps)
            throw new ArgumentException(
                $"denoiser has N = {schedule.NumTrainTimesteps} but the scheduler N = {scheduler.Schedule.NumTrainTimesteps}");
        using var noGrad = Torch.NoGrad();
        scheduler.SetTimesteps(steps);
        var batch = shape[0];
        var x = Torch.Randn(shape, gen, dtype, gen.Device);
        x.Mul_(scheduler.InitNoiseSigma);
        foreach (var n in scheduler.Timesteps)
        {
            using var scope = Torch.NewDisposeScope();
            var t = scheduler.TimeOf(n);
            var z = scheduler.ScaleModelInput(x, n);
            using var output = denoiser.Predict(z, Torch.Full([batch], t, dtype, gen.Device), labels);
            var modelOutput = Conversions.Target(scheduler.PredictionType, output.X0, output.Eps, z, schedule.Alpha(t), schedule.Sigma(t));
            var next = scope.MoveOut(scheduler.Step(modelOutput, n, x, stepNoise ?? gen));
            x.Dispose();
            x = next;
        }
        return x;
    }
}
