namespace DistillDiff.Training.Tests;

using System.Text.Json;
using DistillDiff.Recipes;
using DistillDiff.Training.Config;
using DistillDiff.Training.Losses;
using DistillDiff.Training.Trainers;

/// <summary>Every recipe in recipes/ binds, and the Fashion-MNIST ones train a few steps end to end (UNet, labels, images).</summary>
public class ShippedRecipeTests
{
    private static string Recipe(string name) => Path.Combine(TestRecipes.RepoRoot, "recipes", name);

    /// <summary>Every training recipe in recipes/ (the classifier's has its own job type, tested in ClassifierTests).</summary>
    public static TheoryData<string> TrainingRecipes()
    {
        var names = Directory.GetFiles(Path.Combine(TestRecipes.RepoRoot, "recipes"), "*.yaml").Select(Path.GetFileName)
            .Where(n => n != "fmnist-classifier.yaml").Order().ToArray();
        Assert.Contains("fmnist-cpu-add.yaml", names);
        return new TheoryData<string>(names!);
    }

    [Theory]
    [MemberData(nameof(TrainingRecipes))]
    public void Binds(string name)
    {
        var job = JobConfig.From(RecipeLoader.Load(Recipe(name)));
        Assert.Equal(Path.GetFileNameWithoutExtension(name), job.Run.Name);
    }

    /// <summary>The CPU-sized chain: PD and ADD distil the CPU teacher's published folder, with its network and schedule.</summary>
    [Theory]
    [InlineData("fmnist-cpu-pd.yaml")]
    [InlineData("fmnist-cpu-add.yaml")]
    public void CpuDistillationRecipesUseTheCpuTeacher(string name)
    {
        var teacher = JobConfig.From(RecipeLoader.Load(Recipe("fmnist-cpu-teacher.yaml")));
        var job = JobConfig.From(RecipeLoader.Load(Recipe(name)));
        Assert.Equal(Path.Combine("checkpoints", teacher.Run.Name, "models", "teacher"), job.Teacher.Checkpoint);
        // Model records hold arrays (block_out_channels ...), which record equality compares by reference.
        Assert.Equal(JsonSerializer.Serialize(teacher.Model, teacher.Model.GetType()), JsonSerializer.Serialize(job.Model, job.Model.GetType()));
        Assert.Equal(JsonSerializer.Serialize(teacher.Diffusion), JsonSerializer.Serialize(job.Diffusion));
        Assert.Equal(1, job.Run.Threads);
    }

    [Fact]
    public void ProDiffRecipeMeansX0L1AndNoWeighting()
    {
        var job = JobConfig.From(RecipeLoader.Load(Recipe("fmnist-prodiff.yaml")));
        var pd = job.DistillAs<ProgressiveConfig>()!;
        Assert.Equal("progressive", job.Method);
        Assert.Equal(DistillVariant.ProDiff, pd.Variant);
        Assert.Equal(LossNorm.L1, pd.ResolvedLoss);
        Assert.Equal(LossWeighting.Constant, pd.ResolvedWeighting);
        Assert.Equal("sample", job.Diffusion.Prediction);
    }

    [Fact]
    public void FashionMnistTeacherThenDistillationRunOnAFewSteps()
    {
        var dir = TestRecipes.TempDir("fmnist");
        string[] small = [$"run.output_dir={dir}", "run.threads=2", "run.log_every=2", "eval.num_samples=32", "eval.steps=[1,2]", "eval.grid_samples=16"];
        using (var teacher = TrainingJob.Start(RecipeLoader.Load(Recipe("fmnist-teacher.yaml"), [.. small, "teacher.steps=4", "teacher.batch_size=8", "teacher.warmup_steps=1"])))
            teacher.Execute();
        var teacherDir = Path.Combine(dir, "fmnist-teacher", "models", "teacher");
        Assert.True(File.Exists(Path.Combine(teacherDir, "diffusion_pytorch_model.safetensors")));

        using (var pd = TrainingJob.Start(RecipeLoader.Load(Recipe("fmnist-pd.yaml"),
                   [.. small, $"teacher.checkpoint={teacherDir}", "distill.start_steps=4", "distill.updates_per_round=3", "distill.batch_size=8"])))
        {
            var curve = pd.Execute();
            Assert.Contains(curve.Points, p => p.Model == "student-1steps" && p.Metrics.ContainsKey("fd_pool7"));
        }
        Assert.True(File.Exists(Path.Combine(dir, "fmnist-pd", "samples", "student-1steps-1steps.png")));

        // ADD with the teacher's UNet encoder as the discriminator's features, class projection, R1 through the encoder.
        using (var add = TrainingJob.Start(RecipeLoader.Load(Recipe("fmnist-add.yaml"),
                   [.. small, $"teacher.checkpoint={teacherDir}", "distill.updates=2", "distill.batch_size=8", "distill.r1_every=1"])))
        {
            var curve = add.Execute();
            Assert.Contains(curve.Points, p => p.Model == "student-add" && p.Sampler == "few_step" && p.Steps == 2 && p.Metrics.ContainsKey("fd_pool7"));
        }
        // Published folders name the sampler they were trained for, which `sample` and `eval` use by default.
        foreach (var (folder, sampler) in new[] { ("fmnist-teacher/models/teacher", "pd"), ("fmnist-pd/models/student-1steps", "pd"), ("fmnist-add/models/student-add", "few_step") })
        {
            using var info = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, folder, ModelSetup.InfoFile)));
            Assert.Equal(sampler, info.RootElement.GetProperty("sampler").GetString());
        }
        var metrics = File.ReadAllText(Path.Combine(dir, "fmnist-add", "metrics.jsonl"));
        Assert.Contains("\"r1\"", metrics);
        Assert.Contains("\"g_adv\"", metrics);
    }
}
