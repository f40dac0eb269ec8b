namespace DistillDiff.Recipes.Tests;

using System.Diagnostics;
using System.Text;

/// <summary>
/// Hostile recipes are refused with the file, the line and the limit, in bounded time and memory: nesting that used
/// to overflow the stack (exit 134), aliases that used to expand without bound ("billion laughs"), huge files.
/// </summary>
public sealed class YamlLimitsTests : IDisposable
{
    private readonly TempProject project = new();

    public void Dispose() => project.Dispose();

    [Fact]
    public void A_40KB_deeply_nested_file_is_refused_with_line_and_limit()
    {
        // 20,000 nested flow lists on one line, then block nesting: both forms of depth.
        var flow = "a: " + new string('[', 20_000) + new string(']', 20_000) + "\n";
        var error = Assert.Throws<RecipeException>(() => project.LoadYaml(flow));
        Assert.Equal($"recipes/x.yaml: nesting at line 1 is deeper than the limit of {YamlLimits.MaxDepth} levels", error.Message);

        var block = new StringBuilder();
        for (var i = 0; i < 200; i++) block.Append(' ', i).Append("k:\n");
        error = Assert.Throws<RecipeException>(() => project.LoadYaml(block.ToString()));
        Assert.Equal($"recipes/x.yaml: nesting at line {YamlLimits.MaxDepth + 2} is deeper than the limit of {YamlLimits.MaxDepth} levels", error.Message);
    }

    [Fact]
    public void A_set_value_nested_20000_levels_is_refused()
    {
        var value = new string('[', 20_000) + new string(']', 20_000);
        var error = Assert.Throws<RecipeException>(() => project.LoadYaml("a: 1\n", "eval.steps=" + value));
        Assert.Equal($"--set eval.steps={value}: nesting is deeper than the limit of {YamlLimits.MaxDepth} levels", error.Message);

        var key = string.Join('.', Enumerable.Repeat("k", 20_000));
        error = Assert.Throws<RecipeException>(() => project.LoadYaml("a: 1\n", key + "=1"));
        Assert.EndsWith($"the key has 20000 parts, more than the limit of {YamlLimits.MaxDepth}", error.Message);
    }

    [Fact]
    public void A_billion_laughs_file_is_refused_within_a_memory_and_time_bound()
    {
        // Nine levels of nine aliases each: 9^9 = 387 million strings if expanded; under 700 bytes of YAML.
        var yaml = new StringBuilder("a0: &a0 lol\n");
        for (var i = 1; i <= 9; i++)
            yaml.Append($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 9))}]\n");
        Assert.True(yaml.Length < 700, $"{yaml.Length} bytes");

        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<RecipeException>(() => project.LoadYaml(yaml.ToString()));
        clock.Stop();
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        Assert.Matches($@"^recipes/x\.yaml: alias '\*a\d' at line \d+ takes the document past the limit of {YamlLimits.MaxNodes} values", error.Message);
        Assert.True(allocated < 64L << 20, $"allocated {allocated / (1 << 20)} MiB");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public void Aliases_within_the_limit_still_work_and_each_use_is_a_copy()
    {
        var recipe = project.LoadYaml("base: &b {lr: 1, steps: [1, 2]}\ntrain: *b\nother: *b\n", "train.lr=5");

        Assert.Equal("5", recipe.GetString("train.lr"));
        Assert.Equal("1", recipe.GetString("other.lr"));
        Assert.Equal("2", recipe.GetString("other.steps.1"));
    }

    [Fact]
    public void A_file_over_the_size_limit_is_refused_before_it_is_parsed()
    {
        var big = "a: \"" + new string('x', (int)YamlLimits.MaxFileBytes) + "\"\n";
        var error = Assert.Throws<RecipeException>(() => project.LoadYaml(big));
        Assert.Equal($"recipes/x.yaml: the file is {big.Length} bytes, over the limit of {YamlLimits.MaxFileBytes} bytes for a recipe", error.Message);
    }

    [Fact]
    public void Infinite_and_nan_numbers_are_refused_with_the_key_path()
    {
        var error = Assert.Throws<RecipeException>(() => project.LoadYaml("train:\n  lr: .inf\n").Bind<TrainOptions>("train"));
        Assert.Equal("recipes/x.yaml: key 'train.lr' must be a finite number, got '.inf'", error.Message);
        error = Assert.Throws<RecipeException>(() => project.LoadYaml("train:\n  ema_decay: .nan\n").Bind<TrainOptions>("train"));
        Assert.Equal("recipes/x.yaml: key 'train.ema_decay' must be a finite number, got '.nan'", error.Message);
    }
}
