namespace DistillDiff.Recipes;

internal sealed class ConfigList(string source) : ConfigNode(source)
{
    public List<ConfigNode> Items { get; } = [];

    public override string Describe() => "a list";
}
