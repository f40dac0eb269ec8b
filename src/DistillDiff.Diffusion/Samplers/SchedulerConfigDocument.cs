namespace DistillDiff.Diffusion.Samplers;

/// <summary>A scheduler_config.json as read: its _class_name, _diffusers_version, the settings, and the keys this
/// framework does not know (tolerated: diffusers adds keys over time; listed so a caller can warn).</summary>
public sealed record SchedulerConfigDocument(
    string? ClassName,
    string? DiffusersVersion,
    SchedulerConfig Config,
    IReadOnlyList<string> IgnoredKeys);
