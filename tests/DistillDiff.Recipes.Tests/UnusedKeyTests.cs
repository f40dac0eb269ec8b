namespace DistillDiff.Recipes.Tests;

public sealed class UnusedKeyTests : IDisposable
{
    private readonly TempProject project = new();

    public void Dispose() => project.Dispose();

    [Fact]
    public void Every_key_read_by_Bind_or_GetString_counts_as_used()
    {
        var recipe = project.LoadYaml("model:\n  type: mlp\ntrain:\n  lr: 0.1\nseed: 3\n");

        recipe.Bind<ModelOptions>("model");
        recipe.Bind<TrainOptions>("train");
        Assert.Equal(new[] { "seed" }, recipe.UnusedKeys());

        recipe.GetString("seed");
        Assert.Empty(recipe.UnusedKeys());
        recipe.EnsureAllKeysUsed();
    }

    [Fact]
    public void A_mistyped_section_is_refused_with_a_suggestion()
    {
        var recipe = project.LoadYaml("model:\n  type: mlp\ntrain:\n  lr: 0.1\noptimzer:\n  lr: 0.1\n  betas: [0.9, 0.99]\n");
        recipe.Bind<ModelOptions>("model");
        recipe.Bind<TrainOptions>("train");
        recipe.Bind<TrainOptions>("optimizer");

        var error = Assert.Throws<RecipeException>(recipe.EnsureAllKeysUsed);

        Assert.Equal("recipes/x.yaml: unknown key 'optimzer' (expected one of: model, optimizer, train); did you mean 'optimizer'?", error.Message);
        Assert.Equal("optimzer", error.Key);
    }

    [Fact]
    public void Keys_beside_values_read_one_by_one_are_reported_with_their_file()
    {
        project.Write("configs/model/mlp.yaml", "model:\n  type: mlp\n  hiden: 3\n");
        var recipe = project.LoadYaml("include: [configs/model/mlp.yaml]\nextra: 1\n", "model.widht=4");
        recipe.GetString("model.type");

        var error = Assert.Throws<RecipeException>(recipe.EnsureAllKeysUsed);

        Assert.Equal(new[] { "model.hiden", "model.widht", "extra" }, recipe.UnusedKeys());
        Assert.Equal(
            "configs/model/mlp.yaml: unknown key 'model.hiden' (expected one of: type)\n"
            + "--set model.widht=4: unknown key 'model.widht' (expected one of: type)\n"
            + "recipes/x.yaml: unknown key 'extra' (expected one of: model)",
            error.Message);
        Assert.Equal("configs/model/mlp.yaml", error.File);
    }

    [Fact]
    public void A_section_read_through_Root_can_be_marked_used()
    {
        var recipe = project.LoadYaml("logging:\n  level: info\n  sinks: [console]\n");

        Assert.Equal("info", recipe.Root["logging:level"]);
        recipe.MarkUsed("logging");

        Assert.Empty(recipe.UnusedKeys());
    }

    [Fact]
    public void Binding_the_whole_recipe_uses_every_key()
    {
        var recipe = project.LoadYaml("model:\n  type: mlp\n");

        recipe.Bind<ExperimentOptions>("");

        Assert.Empty(recipe.UnusedKeys());
    }
}
