namespace DistillDiff.Recipes;

internal sealed class ConfigMap(string source) : ConfigNode(source)
{
    // Case-insensitive like IConfiguration, and ordered so the saved config reads in the order it was written.
    public OrderedDictionary<string, ConfigNode> Entries { get; } = new(StringComparer.OrdinalIgnoreCase);

    public override string Describe() => "a mapping";

    /// <summary>Lays <paramref name="layer"/> over this map: mappings merge key by key, anything else (lists included) is replaced whole.</summary>
    public void MergeFrom(ConfigMap layer)
    {
        foreach (var (key, node) in layer.Entries)
        {
            if (Entries.TryGetValue(key, out var existing) && existing is ConfigMap target && node is ConfigMap incoming)
                target.MergeFrom(incoming);
            else
                Entries[key] = node;
        }
    }
}
