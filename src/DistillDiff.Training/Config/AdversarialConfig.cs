namespace DistillDiff.Training.Config;

using DistillDiff.Recipes;
using DistillDiff.Training.Losses;

/// <summary>
/// The `distill:` section for distill.method adversarial (ADD, Sauer et al. 2023): a student initialised from the
/// teacher, trained against a discriminator plus a distillation term from the frozen teacher.
/// </summary>
public sealed record AdversarialConfig
{
    /// <summary>Student (generator) updates; the phase runs updates * (1 + discriminator_steps) iterations.</summary>
    [Positive] public int Updates { get; init; } = 2000;
    [Positive] public int BatchSize { get; init; } = 128;
    /// <summary>Training indices the student is trained at, noisiest first; default the trailing 4 (999, 749, 499, 249 of 1000).</summary>
    public int[]? StudentTimesteps { get; init; }
    /// <summary>Student learning rate (constant after warmup).</summary>
    [Positive] public double Lr { get; init; } = 1e-5;
    [Range(0, 1e9)] public int WarmupSteps { get; init; }
    [Range(0, 1)] public double WeightDecay { get; init; }
    [Range(0, 1e9)] public double GradClip { get; init; } = 1.0;
    /// <summary>EMA of the student (published when on); 0 disables.</summary>
    [Range(0, 1)] public double EmaDecay { get; init; }

    /// <summary>lambda: weight of the distillation term in the generator loss (ADD: 2.5).</summary>
    [Range(0, 1e9)] public double DistillWeight { get; init; } = 2.5;
    /// <summary>Weight of the adversarial term; 0 leaves pure distillation.</summary>
    [Range(0, 1e9)] public double AdversarialWeight { get; init; } = 1.0;
    /// <summary>c(t) of the distillation term: uniform | exponential | sds.</summary>
    public DistillationWeighting DistillWeighting { get; init; } = DistillationWeighting.Exponential;
    /// <summary>Continuous times the student's x0 is renoised to for the teacher, t ~ U[min, max].</summary>
    [Range(0, 1)] public double DistillTMin { get; init; } = 0.02;
    [Range(0, 1)] public double DistillTMax { get; init; } = 0.98;

    /// <summary>teacher_encoder | cnn | mlp (see FeatureNetworkRegistry).</summary>
    public string FeatureNetwork { get; init; } = "teacher_encoder";
    /// <summary>Noise level t at which teacher_encoder sees its input.</summary>
    [Range(0, 1)] public double FeatureT { get; init; } = 0.5;
    /// <summary>Width of each discriminator head.</summary>
    [Positive] public int HeadHidden { get; init; } = 64;
    [Positive] public double DiscriminatorLr { get; init; } = 1e-4;
    /// <summary>Adam betas of the discriminator (GAN practice: no momentum).</summary>
    [Range(0, 1)] public double DiscriminatorBeta1 { get; init; }
    [Range(0, 1)] public double DiscriminatorBeta2 { get; init; } = 0.99;
    /// <summary>Discriminator updates per student update.</summary>
    [Positive] public int DiscriminatorSteps { get; init; } = 1;
    /// <summary>gamma of the R1 penalty on real inputs; 0 disables it.</summary>
    [Range(0, 1e9)] public double R1Gamma { get; init; } = 1e-5;
    /// <summary>Lazy regularisation: R1 on every k-th discriminator update, weighted by k (StyleGAN2).</summary>
    [Positive] public int R1Every { get; init; } = 1;

    /// <summary>The student's noisiest input is pure noise (alpha = 0, as sampling starts), whatever the schedule's alpha there.</summary>
    public bool ZeroTerminalSnr { get; init; }
}
