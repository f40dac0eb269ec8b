namespace DistillDiff.Recipes;

/// <summary>
/// Bounds on what a recipe may make the reader do, so a hostile or broken file is refused instead of exhausting
/// the stack (deep nesting) or memory (aliases that expand exponentially, "billion laughs"). Real recipes are a few
/// KB, a handful of levels deep, with a few dozen values.
/// </summary>
public static class YamlLimits
{
    /// <summary>Largest recipe or fragment file read.</summary>
    public const long MaxFileBytes = 1 << 20;

    /// <summary>Largest <c>--set</c> or environment value read as YAML.</summary>
    public const int MaxValueChars = 64 * 1024;

    /// <summary>Deepest nesting of mappings and lists (also the most segments a key path may have).</summary>
    public const int MaxDepth = 64;

    /// <summary>Most values (scalars, mappings, lists) one document may produce, counting every alias expansion.</summary>
    public const int MaxNodes = 100_000;
}
