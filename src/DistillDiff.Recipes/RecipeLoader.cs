namespace DistillDiff.Recipes;

/// <summary>Turns a recipe file, its included fragments and <c>--set</c> overrides into one resolved <see cref="Recipe"/>.</summary>
public static class RecipeLoader
{
    /// <param name="recipePath">The recipe YAML file.</param>
    /// <param name="overrides"><c>key.path=value</c> strings, applied in order after every file.</param>
    /// <param name="configsRoot">
    /// Folder that include paths fall back to when not found beside the including file; by default the nearest
    /// folder, from the recipe's upward, that contains a <c>configs/</c> folder.
    /// </param>
    public static Recipe Load(string recipePath, IEnumerable<string>? overrides = null, string? configsRoot = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(recipePath);
        var fullPath = Path.GetFullPath(recipePath);
        if (!File.Exists(fullPath))
            throw new RecipeException($"recipe file '{recipePath}' not found (looked at {fullPath})", file: recipePath);

        string? root;
        if (configsRoot is null)
            root = FindProjectRoot(Path.GetDirectoryName(fullPath)!);
        else
        {
            root = Path.GetFullPath(configsRoot);
            if (!Directory.Exists(root))
                throw new RecipeException($"configs root '{configsRoot}' not found (looked at {root})");
        }

        var resolver = new IncludeResolver(root);
        var tree = resolver.Load(fullPath);
        foreach (var text in overrides ?? [])
            Override.Apply(tree, text);
        return new Recipe(fullPath, tree);
    }

    private static string? FindProjectRoot(string folder)
    {
        for (var dir = new DirectoryInfo(folder); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "configs")))
                return dir.FullName;
        }
        return null;
    }
}
