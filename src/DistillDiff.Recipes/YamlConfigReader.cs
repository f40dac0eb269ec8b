using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

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
            var length = new FileInfo(fullPath).Length;
            if (length > YamlLimits.MaxFileBytes)
                throw new RecipeException(
                    $"{display}: the file is {length} bytes, over the limit of {YamlLimits.MaxFileBytes} bytes for a recipe", file: display);
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
    /// <remarks>
    /// Built from parser events (YamlDotNet's parser keeps its own stack, so nesting cannot overflow ours) with
    /// <see cref="YamlLimits"/> checked as each node is made: depth, node count including alias expansions.
    /// </remarks>
    public static ConfigNode? Parse(string text, string source, bool isFile = true)
    {
        if (!isFile && text.Length > YamlLimits.MaxValueChars)
            throw new RecipeException($"{source}: the value is {text.Length} characters, over the limit of {YamlLimits.MaxValueChars}", file: source);
        var parser = new Parser(new StringReader(text));
        try
        {
            return new Builder(parser, source, isFile).Stream();
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
    }

    private sealed class Builder(IParser parser, string source, bool isFile)
    {
        private readonly Dictionary<string, (ConfigNode Node, int Size)> anchors = new(StringComparer.Ordinal);
        private int nodes;

        public ConfigNode? Stream()
        {
            parser.Consume<StreamStart>();
            ConfigNode? result = null;
            var documents = 0;
            while (!parser.TryConsume<StreamEnd>(out _))
            {
                parser.Consume<DocumentStart>();
                documents++;
                if (documents > 1)
                    throw new RecipeException($"{source}: expected one YAML document, found more", file: source);
                result = Node("", 0).Node;
                parser.Consume<DocumentEnd>();
            }
            return result;
        }

        private string Line(Mark mark) => isFile ? $" at line {mark.Line}" : "";

        // Returns the node and how many nodes it holds (itself included), for alias accounting.
        private (ConfigNode Node, int Size) Node(string path, int depth)
        {
            var start = parser.Current ?? throw new InvalidOperationException("YAML ends early");
            if (depth > YamlLimits.MaxDepth)
                throw new RecipeException(
                    $"{source}: nesting{Line(start.Start)} is deeper than the limit of {YamlLimits.MaxDepth} levels", path, source);
            if (parser.TryConsume<AnchorAlias>(out var alias))
            {
                if (!anchors.TryGetValue(alias.Value.Value, out var target))
                    throw new RecipeException($"{source}: alias '*{alias.Value}'{Line(alias.Start)} names no anchor defined before it", path, source);
                Count(target.Size, alias.Start, $"alias '*{alias.Value}'");
                return (Clone(target.Node), target.Size);
            }
            Count(1, start.Start, "the document");
            (ConfigNode Node, int Size) made;
            AnchorName anchor;
            if (parser.TryConsume<Scalar>(out var scalar))
            {
                anchor = scalar.Anchor;
                made = (new ConfigScalar(IsNull(scalar) ? null : scalar.Value ?? "", source), 1);
            }
            else if (parser.TryConsume<SequenceStart>(out var sequence))
            {
                anchor = sequence.Anchor;
                var list = new ConfigList(source);
                var size = 1;
                while (!parser.TryConsume<SequenceEnd>(out _))
                {
                    var item = Node(KeyPath.Join(path, list.Items.Count.ToString(CultureInfo.InvariantCulture)), depth + 1);
                    list.Items.Add(item.Node);
                    size += item.Size;
                }
                made = (list, size);
            }
            else if (parser.TryConsume<MappingStart>(out var mapping))
            {
                anchor = mapping.Anchor;
                var map = new ConfigMap(source);
                var size = 1;
                while (!parser.TryConsume<MappingEnd>(out _))
                {
                    var keyEvent = parser.Current!;
                    var key = KeyOf(path);
                    if (map.Entries.TryGetValue(key, out _))
                    {
                        var first = map.Entries.Keys.First(k => k.Equals(key, StringComparison.OrdinalIgnoreCase));
                        if (first == key)
                            throw new RecipeException(
                                $"{source}: invalid YAML at line {keyEvent.Start.Line}, column {keyEvent.Start.Column}: Duplicate key {key}", KeyPath.Join(path, key), source);
                        throw new RecipeException(
                            $"{source}: key '{KeyPath.Join(path, key)}' at line {keyEvent.Start.Line} repeats '{KeyPath.Join(path, first)}' (keys ignore case)",
                            KeyPath.Join(path, key), source);
                    }
                    var value = Node(KeyPath.Join(path, key), depth + 1);
                    map.Entries.Add(key, value.Node);
                    size += value.Size;
                }
                made = (map, size);
            }
            else
            {
                throw new RecipeException($"{source}: unsupported YAML{Line(start.Start)}", path, source);
            }
            if (!anchor.IsEmpty)
                anchors[anchor.Value] = made;
            return made;
        }

        private void Count(int more, Mark at, string what)
        {
            nodes += more;
            if (nodes > YamlLimits.MaxNodes)
                throw new RecipeException(
                    $"{source}: {what}{Line(at)} takes the document past the limit of {YamlLimits.MaxNodes} values (aliases count each time they are used)",
                    file: source);
        }

        private string KeyOf(string path)
        {
            var keyEvent = parser.Current!;
            if (!parser.TryConsume<Scalar>(out var keyScalar) || keyScalar.Value.Length == 0 || IsNull(keyScalar))
                throw new RecipeException($"{source}: line {keyEvent.Start.Line}: a key must be a non-empty plain name", file: source);
            var key = keyScalar.Value;
            if (key.Contains('.') || key.Contains(':'))
                throw new RecipeException(
                    $"{source}: key '{key}' at line {keyEvent.Start.Line} must not contain '.' or ':' (write nested keys instead)", key, source);
            return key;
        }

        // Each use of an alias gets its own copy: later layers (--set, includes) edit nodes in place.
        private static ConfigNode Clone(ConfigNode node)
        {
            switch (node)
            {
                case ConfigScalar s:
                    return new ConfigScalar(s.Value, s.Source);
                case ConfigList l:
                    var list = new ConfigList(l.Source);
                    foreach (var item in l.Items) list.Items.Add(Clone(item));
                    return list;
                case ConfigMap m:
                    var map = new ConfigMap(m.Source);
                    foreach (var (k, v) in m.Entries) map.Entries.Add(k, Clone(v));
                    return map;
                default:
                    throw new InvalidOperationException($"unknown config node {node.GetType().Name}");
            }
        }
    }

    private static bool IsNull(Scalar scalar)
    {
        if (!scalar.Tag.IsEmpty && !scalar.Tag.IsNonSpecific)
            return scalar.Tag.Value == NullTag;
        return scalar.Style is ScalarStyle.Plain or ScalarStyle.Any && IsNullWord(scalar.Value ?? "");
    }
}
