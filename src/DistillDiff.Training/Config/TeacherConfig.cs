namespace DistillDiff.Training.Config;

using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Recipes;
using DistillDiff.Training.Losses;

/// <summary>
/// The `teacher:` section: either train a teacher (plain denoising) or load one with <see cref="Checkpoint"/>,
/// a model folder in diffusers layout (config.json + diffusion_pytorch_model.safetensors). With
/// <see cref="TrainIfMissing"/> a missing checkpoint folder is not an error: the run trains its own teacher instead.
/// </summary>
public sealed record TeacherConfig
{
    public string? Checkpoint { get; init; }
    /// <summary>Train a teacher (with the settings below) when <see cref="Checkpoint"/> does not exist yet.</summary>
    public bool TrainIfMissing { get; init; }
    [Range(0, 1e9)] public int Steps { get; init; } = 2000;
    /// <summary>Upper bound: a batch is allocated whole on the device.</summary>
    [Range(1, 65536)] public int BatchSize { get; init; } = 128;
    [Positive] public double Lr { get; init; } = 2e-4;
    [Range(0, 1e9)] public int WarmupSteps { get; init; } = 100;
    [Range(0, 1)] public double WeightDecay { get; init; }
    /// <summary>Decay of the EMA weights that are saved and distilled from; 0 disables the EMA.</summary>
    [Range(0, 1)] public double EmaDecay { get; init; } = 0.999;
    /// <summary>Global gradient-norm clip; 0 disables.</summary>
    [Range(0, 1e9)] public double GradClip { get; init; } = 1.0;
    /// <summary>Weight on the x-space error; by default the one matching the prediction (eps: snr, v: v_mse, sample/both: snr_trunc).</summary>
    public LossWeighting? Weighting { get; init; }
    public LossNorm Loss { get; init; } = LossNorm.L2;

    /// <summary>The weighting under which the x-space loss equals the parameterisation's own MSE, unless the recipe gives one.</summary>
    public LossWeighting ResolvedWeighting(Prediction prediction) => Weighting ?? prediction switch
    {
        Prediction.Epsilon => LossWeighting.Snr,
        Prediction.V => LossWeighting.VMse,
        _ => LossWeighting.SnrTrunc,
    };
}
