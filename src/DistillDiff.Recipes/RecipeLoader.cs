using Microsoft.Extensions.Configuration;

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
    /// <param name="environment">
    /// Variables layered between the files and <paramref name="overrides"/>, as <see cref="EnvironmentLayer"/> gives
    /// them (key path with ':' between segments, value); null for none.
    /// </param>
    public static Recipe Load(string recipePath, IEnumerable<string>? overrides = null, string? configsRoot = null,
        IEnumerable<KeyValuePair<string, string>>? environment = null)
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
        foreach (var (key, value) in environment ?? [])
            Override.Apply(tree, $"{key}={value}", $"environment {EnvironmentPrefix}{key.Replace(":", "__", StringComparison.Ordinal)}={value}");
        foreach (var text in overrides ?? [])
            Override.Apply(tree, text);
        return new Recipe(fullPath, tree);
    }

    /// <summary>Environment variables named <c>DISTILLDIFF__SECTION__KEY</c> set recipe key <c>section.key</c>.</summary>
    public const string EnvironmentPrefix = "DISTILLDIFF__";

    /// <summary>
    /// The recipe keys set in the process environment, read through Microsoft.Extensions.Configuration's
    /// environment-variables provider (prefix <see cref="EnvironmentPrefix"/>, "__" between segments), keys lower-cased
    /// as recipes write them, in a fixed (ordinal) order.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> EnvironmentLayer()
    {
        var config = new ConfigurationBuilder().AddEnvironmentVariables(EnvironmentPrefix).Build();
        return [.. config.AsEnumerable()
            .Where(kv => kv.Value is not null)
            .Select(kv => KeyValuePair.Create(kv.Key.ToLowerInvariant(), kv.Value!))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)];
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
