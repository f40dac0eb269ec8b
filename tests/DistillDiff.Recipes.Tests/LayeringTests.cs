namespace DistillDiff.Recipes.Tests;

/// <summary>
/// Recipe layers in order: YAML files, then environment variables (DISTILLDIFF__SECTION__KEY), then --set; the
/// saved config names the layer of every value that differs from the files.
/// </summary>
public sealed class LayeringTests : IDisposable
{
    private readonly TempProject project = new();

    public void Dispose() => project.Dispose();

    [Fact]
    public void Environment_overrides_files_and_set_overrides_environment()
    {
        project.Write("recipes/x.yaml", "train:\n  lr: 0.1\n  steps: 10\n  batch_size: 4\n");
        var environment = new[] { KeyValuePair.Create("train:lr", "0.2"), KeyValuePair.Create("train:steps", "20") };

        var recipe = RecipeLoader.Load(project.PathOf("recipes/x.yaml"), ["train.lr=0.3"], environment: environment);

        Assert.Equal(new TrainOptions { Lr = 0.3, Steps = 20, BatchSize = 4 }, recipe.Bind<TrainOptions>("train"));
        Assert.Equal("--set train.lr=0.3", recipe.SourceOf("train.lr"));
        Assert.Equal("environment DISTILLDIFF__train__steps=20", recipe.SourceOf("train.steps"));
        Assert.Equal("recipes/x.yaml", recipe.SourceOf("train.batch_size"));
        Assert.Equal("20", recipe.Root["train:steps"]);
    }

    [Fact]
    public void A_bad_environment_value_is_refused_naming_the_variable()
    {
        project.Write("recipes/x.yaml", "train:\n  lr: 0.1\n");
        var recipe = RecipeLoader.Load(project.PathOf("recipes/x.yaml"), environment: [KeyValuePair.Create("train:lr", "fast")]);

        var error = Assert.Throws<RecipeException>(() => recipe.Bind<TrainOptions>("train"));
        Assert.Equal("environment DISTILLDIFF__train__lr=fast: key 'train.lr' must be a number, got 'fast'", error.Message);
    }

    [Fact]
    public void The_saved_config_says_which_layer_gave_each_differing_value_and_loads_back_the_same()
    {
        project.Write("recipes/x.yaml", "train:\n  lr: 0.1\n  steps: 10\nmodel:\n  type: unet\n  channels: [32, 64]\n");
        var recipe = RecipeLoader.Load(project.PathOf("recipes/x.yaml"), ["model.channels=[8, 16]"],
            environment: [KeyValuePair.Create("train:lr", "0.2")]);

        var saved = recipe.ToYamlWithProvenance();

        Assert.Equal("""
            train:
              lr: 0.2  # from environment DISTILLDIFF__train__lr=0.2
              steps: 10
            model:
              type: unet
              channels:  # from --set model.channels=[8, 16]
                - 8
                - 16

            """.ReplaceLineEndings("\n"), saved);
        var reloaded = RecipeLoader.Load(project.Write("runs/1/config.yaml", saved));
        Assert.Equal(recipe.Flatten(), reloaded.Flatten());
    }

    [Fact]
    public void The_environment_layer_reads_prefixed_variables_through_the_configuration_provider()
    {
        Environment.SetEnvironmentVariable("DISTILLDIFF__TEACHER__LR", "1e-4");
        Environment.SetEnvironmentVariable("DISTILLDIFF__EVAL__STEPS__0", "3");
        try
        {
            var layer = RecipeLoader.EnvironmentLayer();
            Assert.Contains(KeyValuePair.Create("teacher:lr", "1e-4"), layer);
            Assert.Contains(KeyValuePair.Create("eval:steps:0", "3"), layer);
        }
        finally
        {
            Environment.SetEnvironmentVariable("DISTILLDIFF__TEACHER__LR", null);
            Environment.SetEnvironmentVariable("DISTILLDIFF__EVAL__STEPS__0", null);
        }
    }
}
