namespace DistillDiff.Training.Tests;

using DistillDiff.Recipes;
using DistillDiff.Training.Config;

/// <summary>What a user sees when a recipe is wrong: the file, the key path, and what was expected.</summary>
public class ConfigErrorTests
{
    private static RecipeException Refuse(string yamlExtra, params string[] overrides)
    {
        var dir = TestRecipes.TempDir("config");
        var path = TestRecipes.Toy(dir, extra: yamlExtra);
        return Assert.Throws<RecipeException>(() => JobConfig.From(RecipeLoader.Load(path, overrides)));
    }

    [Fact]
    public void UnknownKeyIsRefusedWithFileKeyAndSuggestion()
    {
        var e = Refuse("", "teacher.learning_rate=1e-3");
        Assert.Equal("--set teacher.learning_rate=1e-3: unknown key 'teacher.learning_rate' (expected one of: batch_size, checkpoint, ema_decay, grad_clip, loss, lr, steps, train_if_missing, warmup_steps, weight_decay, weighting)", e.Message);
    }

    [Fact]
    public void UnknownKeyInTheRecipeFileNamesTheFile()
    {
        var dir = TestRecipes.TempDir("config");
        var path = TestRecipes.Toy(dir);
        File.WriteAllText(path, File.ReadAllText(path).Replace("updates_per_round:", "updates_per_rond:"));
        var e = Assert.Throws<RecipeException>(() => JobConfig.From(RecipeLoader.Load(path)));
        Assert.Matches(@"recipe\.yaml: unknown key 'distill\.updates_per_rond' .*did you mean 'updates_per_round'\?", e.Message);
        Assert.Equal("distill.updates_per_rond", e.Key);
    }

    [Fact]
    public void WrongTypeNamesKeyAndValue()
    {
        var e = Refuse("", "teacher.lr=fast");
        Assert.Equal("--set teacher.lr=fast: key 'teacher.lr' must be a number, got 'fast'", e.Message);
    }

    [Fact]
    public void BadEnumListsTheChoices()
    {
        var e = Refuse("", "distill.weighting=sqrt");
        Assert.Contains("key 'distill.weighting' must be one of [constant, snr, snr_trunc, v_mse], got 'sqrt'", e.Message);
    }

    [Fact]
    public void BadPredictionNamesTheIncludedFragmentIfItCameFromThere()
    {
        var e = Refuse("", "diffusion.prediction=score");
        Assert.StartsWith("--set diffusion.prediction=score: key 'diffusion.prediction': unknown prediction_type 'score'", e.Message);
    }

    [Fact]
    public void UnknownModelTypeListsTheRegisteredOnes()
    {
        var e = Refuse("", "model.type=transformer");
        Assert.Equal("--set model.type=transformer: key 'model.type' must be one of [unet2d, mobile-unet, mlp], got 'transformer'", e.Message);
    }

    [Fact]
    public void ProDiffNeedsX0Prediction()
    {
        var e = Refuse("", "distill.variant=pro_diff");
        Assert.Contains("distill.variant prodiff predicts x0: set diffusion.prediction to 'sample' (got 'v')", e.Message);
    }

    [Fact]
    public void StepCountsMustBePowersOfTwo()
    {
        var e = Refuse("", "distill.start_steps=12");
        Assert.Contains("distill.start_steps (12) and distill.end_steps (1) must be powers of two with end < start", e.Message);
    }

    [Fact]
    public void MissingRecipeFileSaysWhereItLooked()
    {
        var e = Assert.Throws<RecipeException>(() => RecipeLoader.Load("recipes/does-not-exist.yaml"));
        Assert.StartsWith("recipe file 'recipes/does-not-exist.yaml' not found (looked at /", e.Message);
    }

    [Fact]
    public void MissingIncludeNamesTheIncludingFile()
    {
        var dir = TestRecipes.TempDir("config");
        var path = Path.Combine(dir, "r.yaml");
        File.WriteAllText(path, "include:\n  - configs/model/nope.yaml\n");
        var e = Assert.Throws<RecipeException>(() => RecipeLoader.Load(path, configsRoot: TestRecipes.RepoRoot));
        Assert.Contains("include 'configs/model/nope.yaml' not found", e.Message);
        Assert.Contains("r.yaml", e.Message);
    }

    [Fact]
    public void MissingTeacherCheckpointSaysHowToMakeOne()
    {
        var dir = TestRecipes.TempDir("config");
        var path = TestRecipes.Toy(dir);
        var (code, _, stderr) = Cli.Run(["train", path, "--set", "teacher.checkpoint=/nonexistent/teacher"], TimeSpan.FromMinutes(1));
        Assert.Equal(1, code);
        Assert.StartsWith("error: teacher.checkpoint: /nonexistent/teacher does not exist. Train a teacher first", stderr.Trim());
        Assert.False(Directory.Exists(Path.Combine(dir, "toy")), "a refused run must not leave a run folder behind");
    }

    [Fact]
    public void MissingDataFolderIsNamedAndLeavesNoRunFolder()
    {
        var dir = TestRecipes.TempDir("config");
        var path = TestRecipes.Toy(dir);
        File.WriteAllText(path, File.ReadAllText(path).Replace("data/toy2d.yaml", "data/fashion_mnist.yaml").Replace("  count: 20000", "  path: /nonexistent/fmnist"));
        var (code, _, stderr) = Cli.Run(["train", path], TimeSpan.FromMinutes(1));
        Assert.Equal(1, code);
        Assert.Contains("/nonexistent/fmnist", stderr);
        Assert.Contains("apt-get install dataset-fashion-mnist", stderr);
        Assert.False(Directory.Exists(Path.Combine(dir, "toy")), "a refused run must not leave a run folder behind");
    }

    [Fact]
    public void TheCommandLinePrintsTheMessageAndExitsWithOne()
    {
        var dir = TestRecipes.TempDir("config");
        var path = TestRecipes.Toy(dir);
        var (code, _, stderr) = Cli.Run(["train", path, "--set", "teacher.lr=fast"], TimeSpan.FromMinutes(1));
        Assert.Equal(1, code);
        Assert.Equal("error: --set teacher.lr=fast: key 'teacher.lr' must be a number, got 'fast'", stderr.Trim());
    }
}
