namespace DistillDiff.Diffusion.Samplers;

/// <summary>
/// Schedulers by short name or by diffusers _class_name, so a scheduler_config.json names its own sampler:
/// ddpm (DDPMScheduler), ddim (DDIMScheduler), euler (EulerDiscreteScheduler), heun (HeunDiscreteScheduler),
/// dpmpp_2m (DPMSolverMultistepScheduler), few_step (FewStepScheduler; also "x0_renoise"), pd (ContinuousDdimScheduler:
/// DDIM on t = i / n, what progressive-distillation students are trained for).
/// </summary>
public static class SamplerRegistry
{
    private sealed record Entry(string Name, string ClassName, Func<SchedulerConfig, IScheduler> Create);

    private static readonly List<Entry> Entries =
    [
        new("ddpm", DdpmScheduler.DiffusersClassName, c => new DdpmScheduler(c)),
        new("ddim", DdimScheduler.DiffusersClassName, c => new DdimScheduler(c)),
        new("euler", EulerDiscreteScheduler.DiffusersClassName, c => new EulerDiscreteScheduler(c)),
        new("heun", HeunDiscreteScheduler.DiffusersClassName, c => new HeunDiscreteScheduler(c)),
        new("dpmpp_2m", DpmSolverMultistepScheduler.DiffusersClassName, c => new DpmSolverMultistepScheduler(c)),
        new("few_step", FewStepScheduler.DiffusersClassName, c => new FewStepScheduler(c)),
        new("x0_renoise", FewStepScheduler.DiffusersClassName, c => new FewStepScheduler(c)),
        new("pd", ContinuousDdimScheduler.DiffusersClassName, c => new ContinuousDdimScheduler(c)),
    ];

    public static IReadOnlyList<string> Names => Entries.Select(e => e.Name).ToList();

    /// <summary>A scheduler by short name or diffusers class name, e.g. "ddim" or "DDIMScheduler".</summary>
    public static IScheduler Create(string name, SchedulerConfig config) => Find(name).Create(config);

    /// <summary>The diffusers _class_name of a short name (or of a class name, unchanged).</summary>
    public static string ClassNameOf(string name) => Find(name).ClassName;

    /// <summary>The scheduler a scheduler_config.json describes (its _class_name and settings).</summary>
    public static IScheduler FromFile(string path)
    {
        var doc = SchedulerConfigJson.Read(path);
        if (doc.ClassName is null) throw new InvalidDataException($"{path}: no _class_name, so no scheduler to build");
        try
        {
            return Create(doc.ClassName, doc.Config);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Sampler <paramref name="name"/> configured from a scheduler_config.json written for any class, as diffusers'
    /// X.from_config(file) does: X's defaults, then the file's values of the keys X takes (a DDPM file's clip_sample does
    /// not reach Euler, and without timestep_spacing in the file Euler spaces by its own linspace).</summary>
    public static IScheduler FromFile(string path, string name, Func<SchedulerConfig, SchedulerConfig>? adjust = null)
    {
        var doc = SchedulerConfigJson.Read(path);
        var entry = Find(name);
        try
        {
            var config = doc.ConfigFor(entry.ClassName);
            return entry.Create(adjust is null ? config : adjust(config));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Writes the scheduler's scheduler_config.json (diffusers' save_config).</summary>
    public static void Save(IScheduler scheduler, string path) => SchedulerConfigJson.Write(path, scheduler.ClassName, scheduler.Config);

    private static Entry Find(string name) =>
        Entries.Find(e => e.Name == name || e.ClassName == name)
        ?? throw new ArgumentException($"unknown scheduler '{name}' (known: {string.Join(", ", Entries.Select(e => $"{e.Name}/{e.ClassName}"))})");
}
