namespace DistillDiff.Diffusion.Parameterisation;

using DistillDiff.Diffusion.Schedules;
using DistillDiff.Engine;
using DistillDiff.Models;

/// <summary>
/// Any backbone + a schedule + a parameterisation = a denoiser (the idea of EDM's preconditioning wrapper: backbones
/// and parameterisations combine freely). It owns neither the backbone nor the schedule.
/// <para>Conventions: continuous t in [0, 1] per sample; the backbone gets timestep = t * N - 1 (DenoiserBackbone's
/// convention, N = num_train_timesteps); alpha_t, sigma_t come from the schedule and broadcast over [B, C, H, W] or
/// [B, D].</para>
/// <para>Ends of the schedule: eps-prediction gives x0 = (z - sigma eps) / alpha, which is undefined where alpha = 0
/// (t = 1 under zero terminal SNR); x- and v-prediction give eps = (z - alpha x) / sigma, undefined at sigma = 0 (t = 0).
/// Those divisors are clamped at <see cref="MinDivisor"/> so the result stays finite (and meaningless, as it must be:
/// use v, x or "both" with zero terminal SNR, and do not ask for eps at t = 0).</para>
/// </summary>
public sealed class Denoiser
{
    /// <summary>Floor of alpha and sigma where they divide; only an exact 0 reaches it in practice.</summary>
    public const double MinDivisor = 1e-12;

    private readonly Func<Tensor, Tensor, Tensor?, Tensor>? _backboneCall;

    public Denoiser(DenoiserBackbone backbone, NoiseSchedule schedule, Prediction prediction)
        : this(backbone, schedule, prediction, null)
    {
    }

    private Denoiser(DenoiserBackbone backbone, NoiseSchedule schedule, Prediction prediction, Func<Tensor, Tensor, Tensor?, Tensor>? backboneCall)
    {
        _backboneCall = backboneCall;
        var expected = prediction == Prediction.Both ? 2 * backbone.SampleChannels : backbone.SampleChannels;
        if (backbone.OutChannels != expected)
            throw new ArgumentException(
                $"{backbone.GetType().Name} outputs {backbone.OutChannels} channels for {backbone.SampleChannels} sample channels; " +
                $"prediction '{PredictionNames.ToName(prediction)}' needs {expected}");
        Backbone = backbone;
        Schedule = schedule;
        Prediction = prediction;
    }

    public DenoiserBackbone Backbone { get; }

    public NoiseSchedule Schedule { get; }

    public Prediction Prediction { get; }

    /// <summary>
    /// The same denoiser with the backbone reached through <paramref name="backboneCall"/> (sample, timestep, labels) -> raw
    /// output, e.g. a static-buffer or CUDA-graph replay of the same backbone (DistillDiff.Models.StaticBackbone).
    /// The parameterisation maths around it stays here, unchanged.
    /// </summary>
    public Denoiser WithBackboneCall(Func<Tensor, Tensor, Tensor?, Tensor> backboneCall) => new(Backbone, Schedule, Prediction, backboneCall);

    /// <param name="z">Noisy sample z_t = alpha_t x + sigma_t eps, [B, C, H, W] or [B, D].</param>
    /// <param name="t">[B] continuous times in [0, 1].</param>
    /// <param name="labels">[B] int64 class labels, or null.</param>
    public DenoiserOutput Predict(Tensor z, Tensor t, Tensor? labels = null)
    {
        using var scope = Torch.NewDisposeScope();
        // 1. The backbone's timestep input: t * N - 1, so index n <-> t = (n + 1) / N.
        var timestep = (t * Schedule.NumTrainTimesteps - 1).To(z.DType);
        var raw = _backboneCall is { } call ? call(z, timestep, labels) : Backbone.Forward(z, timestep, labels);

        // 2. alpha_t, sigma_t as [B, 1, ...] in the sample's dtype.
        var (alphaT, sigmaT) = Schedule.AlphaSigma(t);
        var alpha = Conversions.AsSampleShape(alphaT.To(z.DType), z);
        var sigma = Conversions.AsSampleShape(sigmaT.To(z.DType), z);
        var alphaDiv = alpha.Clamp(MinDivisor, null);
        var sigmaDiv = sigma.Clamp(MinDivisor, null);

        // 3. x0-hat and eps-hat from the raw output (Conversions' identities).
        Tensor x0, eps;
        switch (Prediction)
        {
            case Prediction.Epsilon:
                eps = raw.Alias();
                x0 = (z - sigma * raw) / alphaDiv;
                break;
            case Prediction.Sample:
                x0 = raw.Alias();
                eps = (z - alpha * raw) / sigmaDiv;
                break;
            case Prediction.V:
                x0 = alpha * z - sigma * raw;
                eps = sigma * z + alpha * raw;
                break;
            case Prediction.Both:
                var heads = raw.Chunk(2, 1);
                // x = sigma^2 x_pred + (1 - sigma^2) x(eps_pred) = sigma^2 x_pred + alpha (z - sigma eps_pred).
                x0 = sigma.Square() * heads[0] + alpha * (z - sigma * heads[1]);
                eps = (z - alpha * x0) / sigmaDiv;
                break;
            default:
                throw new InvalidOperationException($"unknown prediction {Prediction}");
        }
        scope.MoveOut(x0, eps, raw);
        return new DenoiserOutput(x0, eps, raw);
    }
}
