namespace DistillDiff.Training.Config;

using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Training.Losses;

/// <summary>The loss settings a recipe did not spell out, derived from the parameterisation and the variant.</summary>
public sealed record LossWeightingDefaults(JobConfig Job)
{
    /// <summary>Teacher: the weighting under which the x-space loss equals the parameterisation's own MSE.</summary>
    public LossWeighting TeacherWeighting => Job.Teacher.Weighting ?? Job.Diffusion.ParsePrediction() switch
    {
        Prediction.Epsilon => LossWeighting.Snr,
        Prediction.V => LossWeighting.VMse,
        _ => LossWeighting.SnrTrunc,
    };

    public LossWeighting DistillWeighting => Job.Distill?.Weighting
        ?? (Job.Distill?.Variant == DistillVariant.ProDiff ? LossWeighting.Constant : LossWeighting.SnrTrunc);

    public LossNorm DistillLoss => Job.Distill?.Loss
        ?? (Job.Distill?.Variant == DistillVariant.ProDiff ? LossNorm.L1 : LossNorm.L2);
}
