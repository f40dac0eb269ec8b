namespace DistillDiff.Models;

using DistillDiff.Models.Mlp;
using DistillDiff.Models.Mobile;
using DistillDiff.Models.UNet2D;

/// <summary>
/// The model zoo by name. A new model is its folder (config record + network) plus one line here; recipes,
/// checkpoints and the CLI find it through this table.
/// </summary>
public static class ModelRegistry
{
    private static readonly ModelRegistration[] Entries =
    [
        ModelRegistration.For<UNet2DConfig>("unet2d", "UNet2DModel", c => new UNet2DModel(c), UNet2DModel.UpgradeStateDict),
        ModelRegistration.For<MobileUNetConfig>("mobile-unet", "DistillDiffMobileUNet", c => new MobileUNet(c)),
        ModelRegistration.For<MlpDenoiserConfig>("mlp", "DistillDiffMlp", c => new MlpDenoiser(c)),
    ];

    public static IReadOnlyList<string> Names { get; } = Entries.Select(e => e.Name).ToArray();

    public static IReadOnlyList<ModelRegistration> All => Entries;

    public static ModelRegistration Get(string name) =>
        Entries.FirstOrDefault(e => e.Name == name)
        ?? throw new ArgumentException($"unknown model '{name}'; known models: {string.Join(", ", Names)}", nameof(name));

    /// <summary>The registration whose config.json "_class_name" is <paramref name="className"/>.</summary>
    public static ModelRegistration ForClassName(string className) =>
        Entries.FirstOrDefault(e => e.ClassName == className)
        ?? throw new ArgumentException(
            $"no model has _class_name '{className}'; known: {string.Join(", ", Entries.Select(e => $"{e.ClassName} ({e.Name})"))}",
            nameof(className));

    /// <summary>Builds model <paramref name="name"/> (freshly initialised, on the CPU) from a config of its config type.</summary>
    public static DenoiserBackbone Create(string name, object config)
    {
        var entry = Get(name);
        ArgumentNullException.ThrowIfNull(config);
        if (!entry.ConfigType.IsInstanceOfType(config))
            throw new ArgumentException($"model '{name}' takes a {entry.ConfigType.Name}, not a {config.GetType().Name}", nameof(config));
        return entry.Factory(config);
    }

    /// <summary>The config record of <paramref name="name"/> with all defaults.</summary>
    public static object DefaultConfig(string name) => Activator.CreateInstance(Get(name).ConfigType)!;
}
