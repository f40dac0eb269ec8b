using System.Globalization;

namespace DistillDiff.Recipes;

/// <summary>Applies one <c>--set key.path=value</c> to a resolved config.</summary>
internal static class Override
{
    /// <param name="source">How messages and the saved config name this layer; default <c>--set key=value</c>.</param>
    public static void Apply(ConfigMap root, string text, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        source ??= $"--set {text}";
        var equals = text.IndexOf('=');
        if (equals < 0)
            throw new RecipeException($"{source}: expected key.path=value (e.g. train.lr=1e-4)", file: source);
        var key = text[..equals].Trim();
        if (key.Length == 0)
            throw new RecipeException($"{source}: the key before '=' is empty", file: source);
        var segments = key.Split('.', ':').Select(s => s.Trim()).ToArray();
        if (segments.Any(s => s.Length == 0))
            throw new RecipeException($"{source}: key '{key}' has an empty part", key, source);
        if (segments.Length > YamlLimits.MaxDepth)
            throw new RecipeException($"{source}: the key has {segments.Length} parts, more than the limit of {YamlLimits.MaxDepth}", file: source);

        var value = ParseValue(text[(equals + 1)..].Trim(), source);
        ConfigNode current = root;
        for (var i = 0; i < segments.Length; i++)
        {
            var last = i == segments.Length - 1;
            var here = string.Join('.', segments[..(i + 1)]);
            if (current is ConfigMap map)
            {
                if (last)
                {
                    Put(map.Entries.TryGetValue(segments[i], out var old) ? old : null, value, v => map.Entries[segments[i]] = v);
                    return;
                }
                if (!map.Entries.TryGetValue(segments[i], out var child) || child is ConfigScalar)
                {
                    child = new ConfigMap(source);
                    map.Entries[segments[i]] = child;
                }
                current = child;
                continue;
            }

            var list = (ConfigList)current;
            var index = ListIndex(list, segments[i], here, source);
            if (last)
            {
                Put(index < list.Items.Count ? list.Items[index] : null, value, v => SetItem(list, index, v));
                return;
            }
            if (index == list.Items.Count || list.Items[index] is ConfigScalar)
                SetItem(list, index, new ConfigMap(source));
            current = list.Items[index];
        }
    }

    // Unquoted text is taken literally (so "a: b" or "#1" need no quoting on a shell line); brackets, braces
    // and quotes are read as YAML so lists, mappings and quoted strings can be given.
    private static ConfigNode ParseValue(string text, string source)
    {
        if (text.Length > 0 && text[0] is '[' or '{' or '"' or '\'')
            return YamlConfigReader.Parse(text, source, isFile: false) ?? new ConfigScalar(null, source);
        return new ConfigScalar(text.Length > 0 && YamlConfigReader.IsNullWord(text) ? null : text, source);
    }

    private static int ListIndex(ConfigList list, string segment, string here, string source)
    {
        var parent = KeyPath.Parent(here);
        if (!int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            throw new RecipeException($"{source}: '{parent}' is a list, so '{segment}' must be an item index", here, source);
        if (index > list.Items.Count)
            throw new RecipeException(
                $"{source}: index {index} is past the end of '{parent}', which has {list.Items.Count} items", here, source);
        return index;
    }

    private static void Put(ConfigNode? existing, ConfigNode value, Action<ConfigNode> set)
    {
        if (existing is ConfigMap target && value is ConfigMap incoming)
            target.MergeFrom(incoming);
        else
            set(value);
    }

    private static void SetItem(ConfigList list, int index, ConfigNode value)
    {
        if (index == list.Items.Count)
            list.Items.Add(value);
        else
            list.Items[index] = value;
    }
}
