namespace DistillDiff.Recipes;

/// <summary>Key paths as users write them: segments separated by '.' or ':' (the IConfiguration separator).</summary>
internal static class KeyPath
{
    public static string[] Split(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0)
            return [];
        var segments = path.Split('.', ':');
        if (segments.Any(s => s.Length == 0))
            throw new ArgumentException($"key path '{path}' has an empty segment", nameof(path));
        return segments;
    }

    public static string Join(string parent, string key) => parent.Length == 0 ? key : $"{parent}.{key}";

    public static string Parent(string path)
    {
        var dot = path.LastIndexOf('.');
        return dot < 0 ? "" : path[..dot];
    }

    public static string Last(string path) => path[(path.LastIndexOf('.') + 1)..];

    /// <summary>True when <paramref name="path"/> is <paramref name="prefix"/> or lies under it.</summary>
    public static bool IsWithin(string path, string prefix) =>
        prefix.Length == 0
        || path.Equals(prefix, StringComparison.OrdinalIgnoreCase)
        || path.StartsWith(prefix + ".", StringComparison.OrdinalIgnoreCase);
}
