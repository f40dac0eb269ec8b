using System.Text.Json;

namespace DistillDiff.Recipes.Tests;

public sealed class ToYamlTests : IDisposable
{
    private readonly TempProject project = new();

    public void Dispose() => project.Dispose();

    [Fact]
    public void Writes_nested_mappings_block_lists_and_quotes_only_where_needed()
    {
        var recipe = project.LoadYaml("""
            model:
              type: unet
              channels: [64, 128]
              blocks:
                - {kind: res, ch: 64}
                - kind: attn
              grid: [[1, 2], [3]]
              dropout: ~
              tags: []
              extra: {}
            train:
              lr: 1e-4
              name: "null"
              note: "a: b"
              path: C:\runs
              empty: ""
              neg: -1
            """);

        Assert.Equal("""
            model:
              type: unet
              channels:
                - 64
                - 128
              blocks:
                - kind: res
                  ch: 64
                - kind: attn
              grid:
                - - 1
                  - 2
                - - 3
              dropout: null
              tags: []
              extra: {}
            train:
              lr: 1e-4
              name: "null"
              note: "a: b"
              path: C:\runs
              empty: ""
              neg: -1

            """.ReplaceLineEndings("\n"), recipe.ToYaml());
    }

    [Fact]
    public void The_saved_yaml_loads_back_to_the_same_values()
    {
        project.Write("configs/model/unet.yaml", "model:\n  type: unet\n  channels: [32, 64]\n  heads: {mid: 4}\n");
        var recipe = project.LoadYaml("""
            include: [configs/model/unet.yaml]
            train:
              lr: 1e-4
              run_name: "  spaced  "
            distill:
              target: v
            odd:
              - "#not a comment"
              - "- not an item"
              - "[not, a, list]"
              - "multi\nline\ttab \"quoted\" back\\slash"
              - "ünïcode ✓"
              - "key: value"
              - "~"
              - "NULL"
              - "@at"
              - "trailing:"
              - '''single'''
              - "\u0001"
            """, "model.channels.2=128", "train.amp=true");

        var saved = project.Write("runs/1/config.yaml", recipe.ToYaml());
        var reloaded = RecipeLoader.Load(saved);

        Assert.Equal(recipe.Flatten(), reloaded.Flatten());
        Assert.Equal(recipe.ToYaml(), reloaded.ToYaml());
        Assert.Equal(JsonSerializer.Serialize(recipe.Bind<ModelOptions>("model")), JsonSerializer.Serialize(reloaded.Bind<ModelOptions>("model")));
        Assert.Equal(recipe.Bind<TrainOptions>("train"), reloaded.Bind<TrainOptions>("train"));
        Assert.Equal(recipe.Bind<DistillOptions>("distill"), reloaded.Bind<DistillOptions>("distill"));
        Assert.Equal("multi\nline\ttab \"quoted\" back\\slash", reloaded.GetString("odd.3"));
        Assert.Equal("'single'", reloaded.GetString("odd.10"));
    }
}
