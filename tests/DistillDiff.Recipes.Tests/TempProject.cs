namespace DistillDiff.Recipes.Tests;

/// <summary>A throwaway project folder (with configs/) that tests write recipes and fragments into.</summary>
public sealed class TempProject : IDisposable
{
    public TempProject(bool withConfigs = true)
    {
        Root = Path.Combine(Path.GetTempPath(), "distilldiff-recipes-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(withConfigs ? Path.Combine(Root, "configs") : Root);
    }

    public string Root { get; }

    public string PathOf(string relativePath) => Path.Combine(Root, relativePath);

    public string Write(string relativePath, string yaml)
    {
        var full = PathOf(relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, yaml);
        return full;
    }

    public Recipe Load(string relativePath, params string[] overrides) => RecipeLoader.Load(PathOf(relativePath), overrides);

    /// <summary>Writes <paramref name="yaml"/> as recipes/x.yaml and loads it.</summary>
    public Recipe LoadYaml(string yaml, params string[] overrides)
    {
        Write("recipes/x.yaml", yaml);
        return Load("recipes/x.yaml", overrides);
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
