namespace DistillDiff.Recipes;

/// <summary>One value of the resolved config, remembering which file (or <c>--set</c>) gave it.</summary>
internal abstract class ConfigNode(string source)
{
    public string Source { get; } = source;

    /// <summary>How the value reads after "got" in an error message.</summary>
    public abstract string Describe();
}
