namespace DistillDiff.Training.Config;

using DistillDiff.Recipes;
using DistillDiff.Training.Losses;

/// <summary>
/// The `distill:` section for distill.method progressive (the default; Salimans &amp; Ho 2022): the teacher samples in
/// <see cref="StartSteps"/> DDIM steps; each round trains a student for half as many, until <see cref="EndSteps"/>.
/// Variant pro_diff (Huang et al. 2022) means x0 prediction, L1 loss and no SNR weighting.
/// </summary>
public sealed record ProgressiveConfig
{
    public DistillVariant Variant { get; init; } = DistillVariant.SalimansHo;
    [Range(2, 65536)] public int StartSteps { get; init; } = 64;
    [Range(1, 32768)] public int EndSteps { get; init; } = 1;
    [Range(1, 1e9)] public int UpdatesPerRound { get; init; } = 1000;
    [Range(1, 65536)] public int BatchSize { get; init; } = 128;
    /// <summary>Adam learning rate at the start of each round, decayed linearly to 0 over the round.</summary>
    [Positive] public double Lr { get; init; } = 5e-5;
    [Range(0, 1)] public double WeightDecay { get; init; }
    [Range(0, 1e9)] public double GradClip { get; init; } = 1.0;
    /// <summary>EMA of the student within a round (the paper uses none); 0 disables.</summary>
    [Range(0, 1)] public double EmaDecay { get; init; }
    /// <summary>Default: snr_trunc (Salimans &amp; Ho), constant (ProDiff).</summary>
    public LossWeighting? Weighting { get; init; }
    /// <summary>Default: l2 (Salimans &amp; Ho), l1 (ProDiff).</summary>
    public LossNorm? Loss { get; init; }

    public LossWeighting ResolvedWeighting => Weighting ?? (Variant == DistillVariant.ProDiff ? LossWeighting.Constant : LossWeighting.SnrTrunc);

    public LossNorm ResolvedLoss => Loss ?? (Variant == DistillVariant.ProDiff ? LossNorm.L1 : LossNorm.L2);
}
