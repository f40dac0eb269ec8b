namespace DistillDiff.Diffusion.Samplers;

/// <summary>A scheduler_config.json as read: its _class_name, _diffusers_version, the settings for that class, the
/// keys it ignored (unknown to this framework, or not taken by the class, as diffusers ignores them), and the raw values
/// of every known key, so <see cref="ConfigFor"/> can read the same file for another class (diffusers' X.from_config).</summary>
public sealed record SchedulerConfigDocument(
    string? ClassName,
    string? DiffusersVersion,
    SchedulerConfig Config,
    IReadOnlyList<string> IgnoredKeys,
    IReadOnlyDictionary<string, object?> Values)
{
    /// <summary>The file's settings as <paramref name="className"/> reads them: its own defaults, then the keys it takes.</summary>
    public SchedulerConfig ConfigFor(string className) => SchedulerConfigJson.ConfigFor(className, Values, out _);
}
