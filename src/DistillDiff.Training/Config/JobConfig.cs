namespace DistillDiff.Training.Config;

using DistillDiff.Data.Datasets;
using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Schedules;
using DistillDiff.Models;
using DistillDiff.Recipes;

/// <summary>
/// A whole recipe, bound and checked: every section's record, the model's own options record (chosen by
/// model.type through the ModelRegistry), and refusal of any key no section consumed.
/// </summary>
public sealed record JobConfig(
    Recipe Recipe,
    RunConfig Run,
    DataConfig Data,
    string ModelType,
    object Model,
    DiffusionConfig Diffusion,
    TeacherConfig Teacher,
    DistillConfig? Distill,
    EvalConfig Eval)
{
    public static JobConfig From(Recipe recipe)
    {
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
        var distill = recipe.Has("distill") ? recipe.Bind<DistillConfig>("distill") : null;
        var eval = recipe.Has("eval") ? recipe.Bind<EvalConfig>("eval") : new EvalConfig();
        recipe.EnsureAllKeysUsed();
        var job = new JobConfig(recipe, run, data, modelType, model, diffusion, teacher, distill, eval);
        job.Validate();
        return job;
    }

    /// <summary>Cross-section rules a single record cannot check.</summary>
    private void Validate()
    {
        if (Distill is { } d)
        {
            if (!IsPowerOfTwo(d.StartSteps) || !IsPowerOfTwo(d.EndSteps) || d.EndSteps >= d.StartSteps)
                Fail("distill.start_steps", $"distill.start_steps ({d.StartSteps}) and distill.end_steps ({d.EndSteps}) must be powers of two with end < start");
            if (d.Variant == DistillVariant.ProDiff && Diffusion.ParsePrediction() != Prediction.Sample)
                Fail("diffusion.prediction", $"distill.variant prodiff predicts x0: set diffusion.prediction to 'sample' (got '{Diffusion.Prediction}')");
        }
        if (Teacher.Checkpoint is null && Teacher.Steps == 0)
            Fail("teacher.steps", "teacher.steps is 0 and no teacher.checkpoint is given: there would be no teacher");
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

    private static bool IsPowerOfTwo(int n) => n > 0 && (n & (n - 1)) == 0;

    private static string Rel(Recipe r) => Path.GetRelativePath(Directory.GetCurrentDirectory(), r.SourcePath);

    public LossWeightingDefaults Defaults => new(this);
}
