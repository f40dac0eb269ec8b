namespace DistillDiff.Recipes.Tests;

public sealed class OverrideTests : IDisposable
{
    private const string Base = """
        train:
          lr: 1e-3
          steps: 100
        model:
          type: unet
          channels: [64, 128, 256]
        """;

    private readonly TempProject project = new();

    public void Dispose() => project.Dispose();

    [Fact]
    public void Dots_and_colons_both_separate_key_segments()
    {
        var recipe = project.LoadYaml(Base, "train.lr=1e-4", "train:steps=5", "  train.amp = true ");

        Assert.Equal("1e-4", recipe.GetString("train.lr"));
        Assert.Equal("5", recipe.GetString("train:steps"));
        Assert.Equal("true", recipe.GetString("train.amp"));
        Assert.Equal("--set   train.amp = true ", recipe.SourceOf("train.amp"));
    }

    [Fact]
    public void A_bracketed_value_replaces_the_whole_list()
    {
        var recipe = project.LoadYaml(Base, "model.channels=[32, 48]");

        Assert.Equal(new[] { "0", "1" }, recipe.ChildKeys("model.channels"));
        Assert.Equal("48", recipe.GetString("model.channels.1"));
    }

    [Fact]
    public void An_index_sets_one_item_and_the_next_free_index_appends()
    {
        var recipe = project.LoadYaml(Base, "model.channels.1=96", "model.channels.3=512");

        Assert.Equal(new[] { "64", "96", "256", "512" }, recipe.ChildKeys("model.channels").Select(i => recipe.GetString($"model.channels.{i}")));
        Assert.Equal("recipes/x.yaml", recipe.SourceOf("model.channels.0"));
        Assert.Equal("--set model.channels.1=96", recipe.SourceOf("model.channels.1"));
    }

    [Fact]
    public void New_keys_and_sections_can_be_added()
    {
        var recipe = project.LoadYaml(Base, "ema.decay=0.999");

        Assert.Equal("0.999", recipe.GetString("ema.decay"));
    }

    [Fact]
    public void A_mapping_value_merges_into_the_section()
    {
        var recipe = project.LoadYaml(Base, "model={type: mlp, hidden: 32}");

        Assert.Equal("mlp", recipe.GetString("model.type"));
        Assert.Equal("32", recipe.GetString("model.hidden"));
        Assert.True(recipe.Has("model.channels"));
    }

    [Fact]
    public void Null_words_give_null_quotes_give_strings_and_other_text_is_literal()
    {
        var recipe = project.LoadYaml(Base, "train.lr=null", "train.name=\"null\"", "train.note=a: b #c", "train.empty=");

        Assert.True(recipe.Has("train.lr"));
        Assert.Null(recipe.GetString("train.lr"));
        Assert.Equal("null", recipe.GetString("train.name"));
        Assert.Equal("a: b #c", recipe.GetString("train.note"));
        Assert.Equal("", recipe.GetString("train.empty"));
    }

    [Theory]
    [InlineData("train.lr", "--set train.lr: expected key.path=value (e.g. train.lr=1e-4)")]
    [InlineData("=5", "--set =5: the key before '=' is empty")]
    [InlineData("train..lr=1", "--set train..lr=1: key 'train..lr' has an empty part")]
    [InlineData("model.channels.7=1", "--set model.channels.7=1: index 7 is past the end of 'model.channels', which has 3 items")]
    [InlineData("model.channels.first=1", "--set model.channels.first=1: 'model.channels' is a list, so 'first' must be an item index")]
    [InlineData("train.name='a", "--set train.name='a: invalid value: While scanning a quoted scalar, found unexpected end of stream.")]
    [InlineData("model.channels=[1,", "--set model.channels=[1,: invalid value: While parsing a node, did not find expected node content.")]
    public void Malformed_overrides_are_refused_naming_them(string text, string message)
    {
        var error = Assert.Throws<RecipeException>(() => project.LoadYaml(Base, text));

        Assert.Equal(message, error.Message);
        Assert.Equal($"--set {text}", error.File);
    }
}
