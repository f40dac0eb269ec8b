namespace DistillDiff.Training.Config;

using DistillDiff.Data.Datasets;
using DistillDiff.Diffusion.Schedules;
using DistillDiff.Models;
using DistillDiff.Recipes;
using DistillDiff.Training.Methods;

/// <summary>
/// A whole recipe, bound and checked: every section's record, the model's own options record (chosen by model.type
/// through the ModelRegistry), the distillation method's own record (chosen by distill.method through the
/// MethodRegistry), and refusal of any key no section consumed.
/// </summary>
public sealed record JobConfig(
    Recipe Recipe,
    RunConfig Run,
    DataConfig Data,
    string ModelType,
    object Model,
    DiffusionConfig Diffusion,
    TeacherConfig Teacher,
    string? Method,
    object? Distill,
    EvalConfig Eval)
{
    /// <summary>Sections that are not the distillation method's: a `method` key in one of them is misplaced.</summary>
    private static readonly string[] OtherSections = ["", "run", "data", "diffusion", "teacher", "eval"];

    public static JobConfig From(Recipe recipe)
    {
        foreach (var section in OtherSections)
        {
            var key = section.Length == 0 ? "method" : $"{section}.method";
            if (recipe.Has(key))
                throw new RecipeException($"{recipe.SourceOf(key)}: key '{key}' is not a setting here: the distillation method is chosen by " +
                    $"'distill.method' (one of [{string.Join(", ", MethodRegistry.Names)}])", key, recipe.SourceOf(key));
        }
        var run = recipe.Has("run") ? recipe.Bind<RunConfig>("run") : new RunConfig();
        if (!recipe.Has("data")) throw new RecipeException($"{Rel(recipe)}: missing required section 'data'", "data", Rel(recipe));
        var data = recipe.Bind<DataConfig>("data");
        var modelType = recipe.GetString("model.type")
            ?? throw new RecipeException($"{Rel(recipe)}: missing required key 'model.type' (one of: {string.Join(", ", ModelRegistry.Names)})", "model.type", Rel(recipe));
        if (!ModelRegistry.Names.Contains(modelType))
            throw new RecipeException($"{recipe.SourceOf("model.type")}: key 'model.type' must be one of [{string.Join(", ", ModelRegistry.Names)}], got '{modelType}'",
                "model.type", recipe.SourceOf("model.type"));
        var model = recipe.Bind(ModelRegistry.Get(modelType).ConfigType, "model");
        var diffusion = recipe.Has("diffusion") ? recipe.Bind<DiffusionConfig>("diffusion") : new DiffusionConfig();
        Check(recipe, "diffusion.prediction", () => diffusion.ParsePrediction());
        Check(recipe, "diffusion.schedule", () => ScheduleRegistry.Create(diffusion.ToScheduleConfig()));
        var teacher = recipe.Has("teacher") ? recipe.Bind<TeacherConfig>("teacher") : new TeacherConfig();
        var (method, distill) = recipe.Has("distill") ? BindMethod(recipe) : (null, null);
        var eval = recipe.Has("eval") ? recipe.Bind<EvalConfig>("eval") : new EvalConfig();
        recipe.EnsureAllKeysUsed();
        var job = new JobConfig(recipe, run, data, modelType, model, diffusion, teacher, method, distill, eval);
        job.Validate();
        return job;
    }

    /// <summary>The registration of distill.method, when the recipe distils.</summary>
    public MethodRegistration? MethodRegistration => Method is null ? null : MethodRegistry.Find(Method);

    /// <summary>The `distill:` record as the method's own type (e.g. ProgressiveConfig), or null when the recipe does not distil.</summary>
    public T? DistillAs<T>() where T : class => Distill as T;

    private static (string, object) BindMethod(Recipe recipe)
    {
        var name = recipe.GetString("distill.method") ?? MethodRegistry.Default;
        var registration = MethodRegistry.Find(name);
        if (registration is null)
        {
            var src = recipe.SourceOf("distill.method") ?? Rel(recipe);
            throw new RecipeException($"{src}: key 'distill.method' must be one of [{string.Join(", ", MethodRegistry.Names)}], got '{name}'",
                "distill.method", src);
        }
        // A key of another method's record is a method mix-up, not a typo: say whose key it is.
        foreach (var key in recipe.ChildKeys("distill"))
        {
            if (key == "method" || HasKey(registration.ConfigType, key)) continue;
            var owner = MethodRegistry.All.FirstOrDefault(r => HasKey(r.ConfigType, key));
            if (owner is null) continue;
            var path = $"distill.{key}";
            throw new RecipeException($"{recipe.SourceOf(path)}: key '{path}' is a setting of distill.method {owner.Name}, but this recipe's " +
                $"method is {name}{(recipe.Has("distill.method") ? "" : $" (the default; set distill.method: {owner.Name} to use it)")}",
                path, recipe.SourceOf(path));
        }
        return (name, recipe.Bind(registration.ConfigType, "distill"));
    }

    private static bool HasKey(Type type, string key) =>
        type.GetProperties().Any(p => Normalize(p.Name) == Normalize(key));

    private static string Normalize(string name) => new(name.Where(c => c is not ('_' or '-')).Select(char.ToLowerInvariant).ToArray());

    /// <summary>Cross-section rules a single record cannot check.</summary>
    private void Validate()
    {
        if (Distill != null) MethodRegistration!.Validate(this, Distill, Fail);
        if (Teacher.Checkpoint is null && Teacher.Steps == 0)
            Fail("teacher.steps", "teacher.steps is 0 and no teacher.checkpoint is given: there would be no teacher");
        if (Teacher.TrainIfMissing && Teacher.Checkpoint is null)
            Fail("teacher.train_if_missing", "teacher.train_if_missing needs teacher.checkpoint (the folder to use when it exists)");
        if (Teacher.TrainIfMissing && Teacher.Steps == 0)
            Fail("teacher.steps", "teacher.train_if_missing needs teacher.steps > 0 (how long to train the teacher when the checkpoint is missing)");
        JobChecks.CheckValues(this);
    }

    private void Fail(string key, string message) => throw new RecipeException($"{Recipe.SourceOf(key) ?? Rel(Recipe)}: {message}", key, Recipe.SourceOf(key));

    private static void Check(Recipe recipe, string key, Action check)
    {
        try
        {
            check();
        }
        catch (ArgumentException e)
        {
            var src = recipe.SourceOf(key) ?? Rel(recipe);
            throw new RecipeException($"{src}: key '{key}': {e.Message}", key, src);
        }
    }

    private static string Rel(Recipe r) => Path.GetRelativePath(Directory.GetCurrentDirectory(), r.SourcePath);
}
