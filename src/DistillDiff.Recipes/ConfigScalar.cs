namespace DistillDiff.Recipes;

/// <summary>A YAML scalar kept as its text; <see cref="Value"/> is null for YAML null (<c>~</c>, <c>null</c>, empty).</summary>
internal sealed class ConfigScalar(string? value, string source) : ConfigNode(source)
{
    public string? Value { get; } = value;

    public override string Describe() => Value is null ? "null" : $"'{Value}'";
}
