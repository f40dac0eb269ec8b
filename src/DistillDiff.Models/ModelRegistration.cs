namespace DistillDiff.Models;

using DistillDiff.Engine;

/// <summary>One model of the zoo: its registry name, the _class_name its config.json carries, its config record and how to build it.</summary>
/// <param name="Name">Registry name used by recipes ("unet2d").</param>
/// <param name="ClassName">config.json "_class_name" ("UNet2DModel" for diffusers compatibility).</param>
/// <param name="ConfigType">The config record the factory takes.</param>
/// <param name="Factory">Builds a freshly initialised model from a config of <paramref name="ConfigType"/>.</param>
/// <param name="UpgradeStateDict">Renames keys of older checkpoints before a strict load; null when there are none.</param>
public sealed record ModelRegistration(
    string Name,
    string ClassName,
    Type ConfigType,
    Func<object, DenoiserBackbone> Factory,
    Func<IReadOnlyDictionary<string, Tensor>, Dictionary<string, Tensor>>? UpgradeStateDict = null)
{
    /// <summary>A registration with a typed factory.</summary>
    public static ModelRegistration For<TConfig>(string name, string className, Func<TConfig, DenoiserBackbone> create,
        Func<IReadOnlyDictionary<string, Tensor>, Dictionary<string, Tensor>>? upgradeStateDict = null) where TConfig : class =>
        new(name, className, typeof(TConfig), config => create((TConfig)config), upgradeStateDict);
}
