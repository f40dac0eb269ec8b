using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DistillDiff.Recipes;

/// <summary>Reads YAML into config nodes, keeping sequences, mappings and nulls apart (IConfiguration cannot).</summary>
internal static class YamlConfigReader
{
    private const string NullTag = "tag:yaml.org,2002:null";

    /// <summary>The plain scalars YAML 1.2 reads as null.</summary>
    public static bool IsNullWord(string text) => text is "" or "~" or "null" or "Null" or "NULL";

    public static ConfigMap ReadFile(string fullPath, string display)
    {
        string text;
        try
        {
            text = File.ReadAllText(fullPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RecipeException($"{display}: cannot read the file ({e.Message})", file: display, inner: e);
        }

        return Parse(text, display) switch
        {
            null => new ConfigMap(display),
            ConfigMap map => map,
            var other => throw new RecipeException(
                $"{display}: the top level must be a mapping of keys, got {other.Describe()}", file: display),
        };
    }

    /// <summary>Parses a single YAML document; null when the text holds none (empty or only comments).</summary>
    /// <param name="isFile">False for a one-line <c>--set</c> value, where line and column would only confuse.</param>
    public static ConfigNode? Parse(string text, string source, bool isFile = true)
    {
        var parser = new Parser(new StringReader(text));
        var stream = new YamlStream();
        try
        {
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            var where = isFile ? $"invalid YAML at line {e.Start.Line}, column {e.Start.Column}" : "invalid value";
            throw new RecipeException($"{source}: {where}: {e.Message}", file: source, inner: e);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner fails this way, without a position, on some unclosed flow collections;
            // the last event it produced is the closest place to point at.
            var where = isFile ? $"invalid YAML near line {parser.Current?.Start.Line ?? 1}" : "invalid value";
            throw new RecipeException($"{source}: {where}", file: source, inner: e);
        }

        return stream.Documents.Count switch
        {
            0 => null,
            1 => Convert(stream.Documents[0].RootNode, source, ""),
            var n => throw new RecipeException($"{source}: expected one YAML document, found {n}", file: source),
        };
    }

    private static ConfigNode Convert(YamlNode node, string source, string path)
    {
        switch (node)
        {
            case YamlScalarNode scalar:
                return new ConfigScalar(IsNull(scalar) ? null : scalar.Value ?? "", source);
            case YamlSequenceNode sequence:
                var list = new ConfigList(source);
                foreach (var item in sequence.Children)
                    list.Items.Add(Convert(item, source, KeyPath.Join(path, list.Items.Count.ToString(CultureInfo.InvariantCulture))));
                return list;
            case YamlMappingNode mapping:
                var map = new ConfigMap(source);
                foreach (var (keyNode, valueNode) in mapping.Children)
                {
                    var key = KeyOf(keyNode, source);
                    if (map.Entries.TryGetValue(key, out _))
                    {
                        var first = map.Entries.Keys.First(k => k.Equals(key, StringComparison.OrdinalIgnoreCase));
                        throw new RecipeException(
                            $"{source}: key '{KeyPath.Join(path, key)}' at line {keyNode.Start.Line} repeats '{KeyPath.Join(path, first)}' (keys ignore case)",
                            KeyPath.Join(path, key), source);
                    }
                    map.Entries.Add(key, Convert(valueNode, source, KeyPath.Join(path, key)));
                }
                return map;
            default:
                throw new RecipeException($"{source}: unsupported YAML at line {node.Start.Line}", path, source);
        }
    }

    private static string KeyOf(YamlNode keyNode, string source)
    {
        if (keyNode is not YamlScalarNode { Value: { Length: > 0 } key } || IsNull((YamlScalarNode)keyNode))
            throw new RecipeException($"{source}: line {keyNode.Start.Line}: a key must be a non-empty plain name", file: source);
        if (key.Contains('.') || key.Contains(':'))
            throw new RecipeException(
                $"{source}: key '{key}' at line {keyNode.Start.Line} must not contain '.' or ':' (write nested keys instead)", key, source);
        return key;
    }

    private static bool IsNull(YamlScalarNode scalar)
    {
        if (!scalar.Tag.IsEmpty && !scalar.Tag.IsNonSpecific)
            return scalar.Tag.Value == NullTag;
        return scalar.Style is ScalarStyle.Plain or ScalarStyle.Any && IsNullWord(scalar.Value ?? "");
    }
}
