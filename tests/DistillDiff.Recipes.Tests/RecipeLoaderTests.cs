namespace DistillDiff.Recipes.Tests;

public sealed class RecipeLoaderTests : IDisposable
{
    private readonly TempProject project = new();

    public void Dispose() => project.Dispose();

    [Fact]
    public void Includes_then_recipe_then_overrides_take_precedence_in_that_order()
    {
        project.Write("configs/train/a.yaml", """
            train:
              lr: 1
              steps: 10
              batch_size: 4
            """);
        project.Write("configs/train/b.yaml", """
            train:
              lr: 2
              steps: 20
            """);
        var recipe = project.LoadYaml("""
            include:
              - configs/train/a.yaml
              - configs/train/b.yaml
            train:
              lr: 3
            """, "train.lr=4");

        Assert.Equal("4", recipe.GetString("train.lr"));
        Assert.Equal("20", recipe.GetString("train.steps"));
        Assert.Equal("4", recipe.GetString("train.batch_size"));
        Assert.Equal("--set train.lr=4", recipe.SourceOf("train.lr"));
        Assert.Equal("configs/train/b.yaml", recipe.SourceOf("train.steps"));
        Assert.Equal("configs/train/a.yaml", recipe.SourceOf("train.batch_size"));
    }

    [Fact]
    public void The_recipe_overrides_its_includes_and_include_is_not_part_of_the_result()
    {
        project.Write("configs/model/mlp.yaml", "model:\n  type: mlp\n  hidden: 256\n");
        var recipe = project.LoadYaml("include: configs/model/mlp.yaml\nmodel:\n  hidden: 512\n");

        Assert.Equal(
            new Dictionary<string, string?> { ["model.type"] = "mlp", ["model.hidden"] = "512" },
            recipe.Flatten());
        Assert.False(recipe.Has("include"));
        Assert.Equal("recipes/x.yaml", recipe.SourceOf("model.hidden"));
        Assert.Equal(project.PathOf("recipes/x.yaml"), recipe.SourcePath);
    }

    [Fact]
    public void A_later_list_replaces_an_earlier_one_whole_while_mappings_merge()
    {
        project.Write("configs/model/unet.yaml", "model:\n  type: unet\n  channels: [64, 128, 256]\n");
        var recipe = project.LoadYaml("include: [configs/model/unet.yaml]\nmodel:\n  channels: [32]\n");

        Assert.Equal(new[] { "model.type", "model.channels.0" }, recipe.Flatten().Keys);
        Assert.Equal("32", recipe.GetString("model.channels.0"));
    }

    [Fact]
    public void Fragments_can_include_fragments()
    {
        project.Write("configs/model/base.yaml", "model:\n  type: base\n  dropout: 0.1\n  channels: [8]\n");
        project.Write("configs/model/unet.yaml", "include: [configs/model/base.yaml]\nmodel:\n  type: unet\n");
        var recipe = project.LoadYaml("include: [configs/model/unet.yaml]\nmodel:\n  channels: [16]\n");

        Assert.Equal("unet", recipe.GetString("model.type"));
        Assert.Equal("0.1", recipe.GetString("model.dropout"));
        Assert.Equal("configs/model/base.yaml", recipe.SourceOf("model.dropout"));
        Assert.Equal("configs/model/unet.yaml", recipe.SourceOf("model.type"));
        Assert.Equal("recipes/x.yaml", recipe.SourceOf("model.channels.0"));
    }

    [Fact]
    public void An_include_beside_the_including_file_wins_over_the_configs_root()
    {
        project.Write("recipes/shared.yaml", "where: beside\n");
        project.Write("shared.yaml", "where: root\n");
        project.Write("configs/only-at-root.yaml", "other: root\n");
        var recipe = project.LoadYaml("include: [shared.yaml, configs/only-at-root.yaml]\n");

        Assert.Equal("beside", recipe.GetString("where"));
        Assert.Equal("root", recipe.GetString("other"));
    }

    [Fact]
    public void An_explicit_configs_root_is_searched_when_the_recipe_has_no_configs_folder_above_it()
    {
        using var shared = new TempProject();
        shared.Write("configs/schedule/cosine.yaml", "schedule:\n  kind: cosine\n");
        using var elsewhere = new TempProject(withConfigs: false);
        var recipePath = elsewhere.Write("x.yaml", "include: [configs/schedule/cosine.yaml]\n");

        var recipe = RecipeLoader.Load(recipePath, configsRoot: shared.Root);

        Assert.Equal("cosine", recipe.GetString("schedule.kind"));
        Assert.Equal("configs/schedule/cosine.yaml", recipe.SourceOf("schedule.kind"));
    }

    [Fact]
    public void An_include_cycle_is_refused_with_the_chain()
    {
        project.Write("configs/a.yaml", "include: [configs/b.yaml]\n");
        project.Write("configs/b.yaml", "include: [configs/a.yaml]\n");
        project.Write("recipes/x.yaml", "include: [configs/a.yaml]\n");

        var error = Assert.Throws<RecipeException>(() => project.Load("recipes/x.yaml"));

        Assert.Equal("configs/b.yaml: include cycle: recipes/x.yaml -> configs/a.yaml -> configs/b.yaml -> configs/a.yaml", error.Message);
        Assert.Equal("configs/b.yaml", error.File);
    }

    [Fact]
    public void A_file_including_itself_is_a_cycle()
    {
        project.Write("recipes/x.yaml", "include: [x.yaml]\n");

        var error = Assert.Throws<RecipeException>(() => project.Load("recipes/x.yaml"));

        Assert.Equal("recipes/x.yaml: include cycle: recipes/x.yaml -> recipes/x.yaml", error.Message);
    }

    [Fact]
    public void Including_the_same_fragment_twice_is_not_a_cycle()
    {
        project.Write("configs/common.yaml", "seed: 1\n");
        project.Write("configs/a.yaml", "include: [configs/common.yaml]\n");

        var recipe = project.LoadYaml("include: [configs/common.yaml, configs/a.yaml]\n");

        Assert.Equal("1", recipe.GetString("seed"));
    }

    [Fact]
    public void A_missing_include_names_the_include_the_includer_and_where_it_looked()
    {
        project.Write("configs/model/unet.yaml", "include: [configs/model/nope.yaml]\n");
        project.Write("recipes/x.yaml", "include: [configs/model/unet.yaml]\n");

        var error = Assert.Throws<RecipeException>(() => project.Load("recipes/x.yaml"));

        var beside = Path.Combine(project.Root, "configs", "model", "configs", "model", "nope.yaml");
        var atRoot = Path.Combine(project.Root, "configs", "model", "nope.yaml");
        Assert.Equal(
            $"configs/model/unet.yaml: include 'configs/model/nope.yaml' not found (looked at {beside}, {atRoot})",
            error.Message);
        Assert.Equal("configs/model/unet.yaml", error.File);
    }

    [Fact]
    public void A_missing_recipe_file_says_where_it_looked()
    {
        var error = Assert.Throws<RecipeException>(() => RecipeLoader.Load("no-such-dir/x.yaml"));

        Assert.Equal($"recipe file 'no-such-dir/x.yaml' not found (looked at {Path.GetFullPath("no-such-dir/x.yaml")})", error.Message);
    }

    [Fact]
    public void A_missing_explicit_configs_root_is_refused()
    {
        var recipePath = project.Write("recipes/x.yaml", "a: 1\n");
        var missing = Path.Combine(project.Root, "nope");

        var error = Assert.Throws<RecipeException>(() => RecipeLoader.Load(recipePath, configsRoot: missing));

        Assert.Equal($"configs root '{missing}' not found (looked at {missing})", error.Message);
    }

    [Fact]
    public void A_yaml_syntax_error_names_the_file_and_line()
    {
        project.Write("configs/train/base.yaml", "train:\n  lr: 1\n    steps: 2\n");
        project.Write("recipes/x.yaml", "include: [configs/train/base.yaml]\n");

        var error = Assert.Throws<RecipeException>(() => project.Load("recipes/x.yaml"));

        Assert.Equal(
            "configs/train/base.yaml: invalid YAML at line 3, column 10: While scanning a plain scalar value, found invalid mapping.",
            error.Message);
        Assert.Equal("configs/train/base.yaml", error.File);
    }

    [Fact]
    public void An_unclosed_bracket_names_the_file_and_line()
    {
        var error = Assert.Throws<RecipeException>(() => project.LoadYaml("a: 1\nb: [1, 2\nc: 3\n"));

        Assert.Equal("recipes/x.yaml: invalid YAML near line 2", error.Message);
    }

    [Fact]
    public void A_repeated_key_is_refused_even_when_only_its_case_differs()
    {
        var exact = Assert.Throws<RecipeException>(() => project.LoadYaml("train:\n  lr: 1\n  lr: 2\n"));
        var cased = Assert.Throws<RecipeException>(() => project.LoadYaml("train:\n  lr: 1\n  LR: 2\n"));

        Assert.Equal("recipes/x.yaml: invalid YAML at line 3, column 3: Duplicate key lr", exact.Message);
        Assert.Equal("recipes/x.yaml: key 'train.LR' at line 3 repeats 'train.lr' (keys ignore case)", cased.Message);
    }

    [Fact]
    public void Dotted_keys_in_a_file_are_refused()
    {
        var error = Assert.Throws<RecipeException>(() => project.LoadYaml("train.lr: 1\n"));

        Assert.Equal("recipes/x.yaml: key 'train.lr' at line 1 must not contain '.' or ':' (write nested keys instead)", error.Message);
    }

    [Fact]
    public void The_top_level_must_be_a_mapping()
    {
        var error = Assert.Throws<RecipeException>(() => project.LoadYaml("- a\n- b\n"));

        Assert.Equal("recipes/x.yaml: the top level must be a mapping of keys, got a list", error.Message);
    }

    [Fact]
    public void Include_must_be_paths()
    {
        var error = Assert.Throws<RecipeException>(() => project.LoadYaml("include:\n  model: configs/model/mlp.yaml\n"));

        Assert.Equal("recipes/x.yaml: 'include' must be a file path or a list of file paths", error.Message);
    }

    [Fact]
    public void An_empty_file_is_an_empty_recipe()
    {
        var recipe = project.LoadYaml("# nothing yet\n");

        Assert.Empty(recipe.Flatten());
        Assert.Equal("{}\n", recipe.ToYaml());
    }

    [Fact]
    public void Yaml_nulls_anchors_and_block_strings_are_read_as_yaml_means_them()
    {
        var recipe = project.LoadYaml("""
            base: &base
              width: 8
            copy: *base
            a: ~
            b:
            c: "null"
            d: !!str 5
            e: |
              two
              lines
            f: 1
            """);

        Assert.Equal("8", recipe.GetString("copy.width"));
        Assert.True(recipe.Has("a"));
        Assert.Null(recipe.GetString("a"));
        Assert.Null(recipe.GetString("b"));
        Assert.Equal("null", recipe.GetString("c"));
        Assert.Equal("5", recipe.GetString("d"));
        Assert.Equal("two\nlines\n", recipe.GetString("e"));
    }

    [Fact]
    public void Root_exposes_the_resolved_values_as_IConfiguration()
    {
        var recipe = project.LoadYaml("train:\n  lr: 1e-4\nmodel:\n  channels: [64, 128]\n");

        Assert.Equal("1e-4", recipe.Root["train:lr"]);
        Assert.Equal("128", recipe.Root["model:channels:1"]);
        Assert.Equal(new[] { "channels" }, recipe.ChildKeys("model"));
        Assert.Equal(new[] { "0", "1" }, recipe.ChildKeys("model.channels"));
        Assert.Equal(new[] { "train", "model" }, recipe.ChildKeys(""));
        Assert.Empty(recipe.ChildKeys("nope"));
    }

    [Fact]
    public void GetString_refuses_a_section()
    {
        var recipe = project.LoadYaml("train:\n  lr: 1\n");

        var error = Assert.Throws<RecipeException>(() => recipe.GetString("train"));

        Assert.Equal("recipes/x.yaml: key 'train' must be a single value, got a mapping", error.Message);
    }
}
