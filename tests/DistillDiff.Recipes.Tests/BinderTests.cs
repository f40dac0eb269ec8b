namespace DistillDiff.Recipes.Tests;

public sealed class BinderTests : IDisposable
{
    private readonly TempProject project = new();

    public void Dispose() => project.Dispose();

    private RecipeException BindFails<T>(string yaml, string section, params string[] overrides)
    {
        var recipe = project.LoadYaml(yaml, overrides);
        return Assert.Throws<RecipeException>(() => recipe.Bind<T>(section));
    }

    [Fact]
    public void Snake_kebab_and_pascal_keys_fill_members_and_absent_keys_keep_defaults()
    {
        var recipe = project.LoadYaml("""
            train:
              batch_size: 32
              Lr: 1e-4
              ema-decay: 0.5
              amp: True
            """);

        var train = recipe.Bind<TrainOptions>("train");

        Assert.Equal(new TrainOptions { BatchSize = 32, Lr = 1e-4, EmaDecay = 0.5f, Amp = true, Steps = 1000 }, train);
    }

    [Fact]
    public void A_missing_section_binds_to_defaults()
    {
        var recipe = project.LoadYaml("model:\n  type: mlp\n");

        Assert.Equal(new TrainOptions(), recipe.Bind<TrainOptions>("train"));
    }

    [Theory]
    [InlineData("snr_trunc", nameof(Weighting.SnrTrunc))]
    [InlineData("truncated-snr", nameof(Weighting.TruncatedSnr))]
    [InlineData("SnrTrunc", nameof(Weighting.SnrTrunc))]
    [InlineData("UNIFORM", nameof(Weighting.Uniform))]
    public void Enum_names_match_in_snake_kebab_or_any_case(string written, string expected)
    {
        var recipe = project.LoadYaml($"distill:\n  target: x0\n  weighting: {written}\n");

        Assert.Equal(Enum.Parse<Weighting>(expected), recipe.Bind<DistillOptions>("distill").Weighting);
    }

    [Fact]
    public void Positional_records_take_parameters_by_snake_case_name_and_keep_parameter_defaults()
    {
        var recipe = project.LoadYaml("distill:\n  target: v\n  num_train_timesteps: 64\n");

        Assert.Equal(new DistillOptions(Target.V, Weighting.Uniform, 64, null), recipe.Bind<DistillOptions>("distill"));
    }

    [Fact]
    public void A_single_value_binds_on_its_own_and_is_required()
    {
        var recipe = project.LoadYaml("train:\n  steps: 5e4\n");

        Assert.Equal(50_000L, recipe.Bind<long>("train.steps"));
        var error = Assert.Throws<RecipeException>(() => recipe.Bind<double>("train.lr"));
        Assert.Equal("recipes/x.yaml: missing required key 'train.lr'", error.Message);
    }

    [Fact]
    public void Lists_dictionaries_nested_records_and_nullables_bind()
    {
        var recipe = project.LoadYaml("""
            model:
              type: unet
              channels: [32, 64]
              blocks:
                - res
                - attn
              dropout: 0.25
              heads:
                mid: 4
                up: 2
            schedule:
              seed: 7
              stages:
                - name: warmup
                  steps: 1e3
                - name: main
                  steps: 9000
            """);

        var model = recipe.Bind<ModelOptions>("model");
        var schedule = recipe.Bind<ScheduleOptions>("schedule");

        Assert.Equal(new[] { 32, 64 }, model.Channels);
        Assert.Equal(new[] { "res", "attn" }, model.Blocks);
        Assert.Equal(0.25, model.Dropout);
        Assert.Equal(new Dictionary<string, int> { ["mid"] = 4, ["up"] = 2 }, model.Heads);
        Assert.Equal(new[] { new StageOptions("warmup", 1000), new StageOptions("main", 9000) }, schedule.Stages);
        Assert.Equal((ushort)7, schedule.Seed);
    }

    [Fact]
    public void The_whole_recipe_binds_to_one_record()
    {
        var recipe = project.LoadYaml("model:\n  type: mlp\ndistill:\n  target: epsilon\n  lr: 0.5\n");

        var experiment = (ExperimentOptions)recipe.Bind(typeof(ExperimentOptions), "");

        Assert.Equal("mlp", experiment.Model.Type);
        Assert.Equal(new TrainOptions(), experiment.Train);
        Assert.Equal(new DistillOptions(Target.Epsilon, Lr: 0.5), experiment.Distill);
        Assert.Empty(recipe.UnusedKeys());
    }

    [Fact]
    public void Null_is_accepted_only_where_the_member_is_nullable()
    {
        var recipe = project.LoadYaml("model:\n  type: mlp\n  dropout: ~\ntrain:\n  steps: null\n");

        Assert.Null(recipe.Bind<ModelOptions>("model").Dropout);
        var error = Assert.Throws<RecipeException>(() => recipe.Bind<TrainOptions>("train"));
        Assert.Equal("recipes/x.yaml: key 'train.steps' must be an integer, got null", error.Message);
    }

    [Fact]
    public void A_registry_component_binds_its_section_after_the_type_key_was_read()
    {
        var recipe = project.LoadYaml("model:\n  type: unet2d\n  channels: [64, 128]\n");

        Assert.Equal("unet2d", recipe.GetString("model.type"));
        var options = (UNetOptions)recipe.Bind(typeof(UNetOptions), "model");

        Assert.Equal(new[] { 64, 128 }, options.Channels);
        Assert.Equal(16, options.AttentionResolution);
        Assert.Empty(recipe.UnusedKeys());
    }

    [Fact]
    public void Without_reading_it_first_the_type_key_is_unknown_to_the_component()
    {
        var error = BindFails<UNetOptions>("model:\n  type: unet2d\n  channels: [64]\n", "model");

        Assert.Equal("recipes/x.yaml: unknown key 'model.type' (expected one of: attention_resolution, channels)", error.Message);
    }

    [Fact]
    public void An_unknown_key_lists_the_expected_ones_and_suggests_the_closest()
    {
        var error = BindFails<TrainOptions>("train:\n  lrr: 0.1\n", "train");

        Assert.Equal(
            "recipes/x.yaml: unknown key 'train.lrr' (expected one of: amp, batch_size, ema_decay, lr, run_name, steps); did you mean 'lr'?",
            error.Message);
        Assert.Equal("train.lrr", error.Key);
        Assert.Equal("recipes/x.yaml", error.File);
    }

    [Fact]
    public void An_unknown_key_far_from_every_name_gets_no_suggestion()
    {
        var error = BindFails<DistillOptions>("distill:\n  target: v\n  teacher_checkpoint: a.pt\n", "distill");

        Assert.Equal(
            "recipes/x.yaml: unknown key 'distill.teacher_checkpoint' (expected one of: lr, num_train_timesteps, target, weighting)",
            error.Message);
    }

    [Fact]
    public void Two_spellings_of_one_member_are_refused()
    {
        var error = BindFails<TrainOptions>("train:\n  batch_size: 1\n  BatchSize: 2\n", "train");

        Assert.Equal("recipes/x.yaml: key 'train.BatchSize' sets the same option as 'train.batch_size'", error.Message);
    }

    [Theory]
    [InlineData("train:\n  lr: fast\n", "recipes/x.yaml: key 'train.lr' must be a number, got 'fast'")]
    [InlineData("train:\n  lr: 1,5\n", "recipes/x.yaml: key 'train.lr' must be a number, got '1,5'")]
    [InlineData("train:\n  amp: yes\n", "recipes/x.yaml: key 'train.amp' must be true or false, got 'yes'")]
    [InlineData("train:\n  batch_size: 1.5\n", "recipes/x.yaml: key 'train.batch_size' must be an integer, got '1.5'")]
    [InlineData("train:\n  batch_size: 2.0\n", "recipes/x.yaml: key 'train.batch_size' must be an integer, got '2.0'")]
    [InlineData("train:\n  batch_size: 1_000\n", "recipes/x.yaml: key 'train.batch_size' must be an integer, got '1_000'")]
    [InlineData("train:\n  batch_size: 3000000000\n", "recipes/x.yaml: key 'train.batch_size' must be an integer between -2147483648 and 2147483647, got '3000000000'")]
    [InlineData("train:\n  ema_decay: 1e40\n", "recipes/x.yaml: key 'train.ema_decay' must be a number within float range, got '1e40'")]
    [InlineData("train:\n  lr: {value: 1}\n", "recipes/x.yaml: key 'train.lr' must be a number, got a mapping")]
    [InlineData("train:\n  run_name: [a, b]\n", "recipes/x.yaml: key 'train.run_name' must be a string, got a list")]
    [InlineData("train: 5\n", "recipes/x.yaml: key 'train' must be a mapping, got '5'")]
    [InlineData("train:\n  lr: 1.5\n", "recipes/x.yaml: key 'train.lr' must be between 0 and 1, got '1.5'")]
    [InlineData("train:\n  batch_size: 0\n", "recipes/x.yaml: key 'train.batch_size' must be positive, got '0'")]
    public void Wrong_values_name_the_key_the_expectation_and_the_value(string yaml, string message)
    {
        var error = BindFails<TrainOptions>(yaml, "train");

        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("model:\n  type: unet\n  channels: 64\n", "recipes/x.yaml: key 'model.channels' must be a list, got '64'")]
    [InlineData("model:\n  type: unet\n  channels: [64, -8]\n", "recipes/x.yaml: key 'model.channels.1' must be positive, got '-8'")]
    [InlineData("model:\n  type: unet\n  heads:\n    mid: many\n", "recipes/x.yaml: key 'model.heads.mid' must be an integer, got 'many'")]
    [InlineData("model:\n  channels: [64]\n", "recipes/x.yaml: missing required key 'model.type'")]
    [InlineData("other: 1\n", "recipes/x.yaml: missing required key 'model.type'")]
    public void Collection_items_and_required_members_are_checked(string yaml, string message)
    {
        var error = BindFails<ModelOptions>(yaml, "model");

        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("distill:\n  weighting: snr\n", "recipes/x.yaml: missing required key 'distill.target'")]
    [InlineData("distill:\n  target: x0\n  weighting: snr\n", "recipes/x.yaml: key 'distill.weighting' must be one of [uniform, snr_trunc, truncated_snr], got 'snr'")]
    [InlineData("distill:\n  target: 1\n", "recipes/x.yaml: key 'distill.target' must be one of [epsilon, v, x0], got '1'")]
    public void Positional_records_check_enums_and_required_parameters(string yaml, string message)
    {
        var error = BindFails<DistillOptions>(yaml, "distill");

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void A_constructor_refusing_its_arguments_is_reported_against_the_section()
    {
        var error = BindFails<BetaRange>("betas:\n  start: 0.02\n  end: 0.0001\n", "betas");

        Assert.Equal("recipes/x.yaml: key 'betas' is invalid: start (0.02) must be below end (0.0001)", error.Message);
    }

    [Fact]
    public void Errors_name_the_include_that_gave_the_bad_value()
    {
        project.Write("configs/train/base.yaml", "train:\n  lr: fast\n  steps: 10\n");

        var error = BindFails<TrainOptions>("include: [configs/train/base.yaml]\ntrain:\n  steps: 20\n", "train");

        Assert.Equal("configs/train/base.yaml: key 'train.lr' must be a number, got 'fast'", error.Message);
        Assert.Equal("configs/train/base.yaml", error.File);
        Assert.Equal("train.lr", error.Key);
    }

    [Fact]
    public void Errors_name_the_recipe_when_it_overrode_the_include()
    {
        project.Write("configs/train/base.yaml", "train:\n  lr: 0.1\n");

        var error = BindFails<TrainOptions>("include: [configs/train/base.yaml]\ntrain:\n  lr: fast\n", "train");

        Assert.Equal("recipes/x.yaml: key 'train.lr' must be a number, got 'fast'", error.Message);
    }

    [Fact]
    public void Errors_name_the_override_that_gave_the_bad_value()
    {
        var error = BindFails<TrainOptions>("train:\n  lr: 0.1\n", "train", "train.lr=abc");

        Assert.Equal("--set train.lr=abc: key 'train.lr' must be a number, got 'abc'", error.Message);
        Assert.Equal("--set train.lr=abc", error.File);
    }

    [Fact]
    public void Unknown_keys_name_the_include_that_brought_them()
    {
        project.Write("configs/train/base.yaml", "train:\n  stpes: 10\n");

        var error = BindFails<TrainOptions>("include: [configs/train/base.yaml]\n", "train");

        Assert.StartsWith("configs/train/base.yaml: unknown key 'train.stpes' (expected one of: ", error.Message);
        Assert.EndsWith("; did you mean 'steps'?", error.Message);
    }
}
