namespace DistillDiff.Recipes;

/// <summary>Loads a YAML file with its <c>include:</c> fragments laid underneath it, depth first.</summary>
internal sealed class IncludeResolver(string? configsRoot)
{
    private const string IncludeKey = "include";

    private static readonly StringComparer PathComparer =
        OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    private readonly List<string> chain = [];

    public ConfigMap Load(string fullPath)
    {
        var display = Display(fullPath);
        chain.Add(fullPath);
        var own = YamlConfigReader.ReadFile(fullPath, display);
        var merged = new ConfigMap(display);
        foreach (var include in TakeIncludes(own, display))
            merged.MergeFrom(Load(Resolve(include, fullPath, display)));
        merged.MergeFrom(own);
        chain.RemoveAt(chain.Count - 1);
        return merged;
    }

    /// <summary>How a file is named in messages: relative to the project (the folder holding configs/) or the working directory when under either.</summary>
    public string Display(string fullPath)
    {
        foreach (var folder in new[] { configsRoot, Directory.GetCurrentDirectory() })
        {
            if (folder is null)
                continue;
            var relative = Path.GetRelativePath(folder, fullPath);
            if (!Path.IsPathRooted(relative) && relative != ".." && !relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                return relative.Replace(Path.DirectorySeparatorChar, '/');
        }
        return fullPath;
    }

    private static List<string> TakeIncludes(ConfigMap own, string display)
    {
        if (!own.Entries.TryGetValue(IncludeKey, out var node))
            return [];
        own.Entries.Remove(IncludeKey);
        return node switch
        {
            ConfigScalar { Value: null } => [],
            ConfigScalar { Value: { } path } => [path],
            ConfigList list when list.Items.All(i => i is ConfigScalar { Value: not null }) =>
                list.Items.Select(i => ((ConfigScalar)i).Value!).ToList(),
            _ => throw new RecipeException(
                $"{display}: 'include' must be a file path or a list of file paths", IncludeKey, display),
        };
    }

    private string Resolve(string include, string includerPath, string includerDisplay)
    {
        var candidates = new List<string>();
        if (Path.IsPathRooted(include))
            candidates.Add(Path.GetFullPath(include));
        else
        {
            candidates.Add(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(includerPath)!, include)));
            if (configsRoot is not null)
                candidates.Add(Path.GetFullPath(Path.Combine(configsRoot, include)));
        }

        var found = candidates.Distinct(PathComparer).FirstOrDefault(File.Exists)
            ?? throw new RecipeException(
                $"{includerDisplay}: include '{include}' not found (looked at {string.Join(", ", candidates.Distinct(PathComparer))})",
                IncludeKey, includerDisplay);
        if (chain.Contains(found, PathComparer))
        {
            var cycle = chain.Append(found).Select(Display);
            throw new RecipeException($"{includerDisplay}: include cycle: {string.Join(" -> ", cycle)}", IncludeKey, includerDisplay);
        }
        return found;
    }
}
