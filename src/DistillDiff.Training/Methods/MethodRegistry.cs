namespace DistillDiff.Training.Methods;

using DistillDiff.Training.Config;

/// <summary>
/// The distillation methods by their recipe name, `distill.method` (the way `model.type` picks a model): each binds
/// its own config record from the `distill:` section, validates it, and plans its phases. The teacher's method is
/// <see cref="Denoising"/> (section `teacher:`). A new method is its file, its config record and one line here.
/// </summary>
public static class MethodRegistry
{
    /// <summary>The method of a `distill:` section without a method key (recipes from before there was a choice).</summary>
    public const string Default = "progressive";

    private static readonly MethodRegistration[] Entries =
    [
        MethodRegistration.For<ProgressiveConfig>("progressive", "progressive distillation, N -> N/2 rounds (distill.variant: salimans_ho | pro_diff)",
            ProgressiveDistillation.Validate, ProgressiveDistillation.Plan, ProgressiveDistillation.TeacherSteps),
        MethodRegistration.For<AdversarialConfig>("adversarial", "adversarial diffusion distillation (ADD): discriminator + teacher distillation, one 1-4-step student",
            AdversarialDistillation.Validate, AdversarialDistillation.Plan, AdversarialDistillation.TeacherSteps),
    ];

    public static IReadOnlyList<string> Names { get; } = Entries.Select(e => e.Name).ToArray();

    public static IReadOnlyList<MethodRegistration> All => Entries;

    public static MethodRegistration? Find(string name) => Entries.FirstOrDefault(e => e.Name == name);
}
