using System.Globalization;
using System.Text;

namespace DistillDiff.Recipes;

/// <summary>Writes a resolved config as block-style YAML that <see cref="YamlConfigReader"/> reads back to the same values.</summary>
internal static class YamlConfigWriter
{
    private const int Indent = 2;

    /// <param name="provenance">
    /// Marks each value that a layer above the recipe files gave (an environment variable or <c>--set</c>) with a
    /// comment naming it, so a saved config says where it differs from the recipe.
    /// </param>
    public static string Write(ConfigMap root, bool provenance = false)
    {
        if (root.Entries.Count == 0)
            return "{}\n";
        var sb = new StringBuilder();
        WriteEntries(root, 0, sb, provenance);
        return sb.ToString();
    }

    /// <summary>Whether a node came from a layer above the files (sources as <see cref="Override"/> names them).</summary>
    private static bool IsLayered(ConfigNode node) =>
        node.Source.StartsWith("--set ", StringComparison.Ordinal) || node.Source.StartsWith("environment ", StringComparison.Ordinal);

    // A comment after the value (or after "key:" for a block); only at the top of a subtree a layer gave.
    private static string Comment(ConfigNode node, ConfigNode parent, bool provenance)
    {
        if (!provenance || !IsLayered(node) || node.Source == parent.Source)
            return "";
        var text = new string(node.Source.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
        return "  # from " + (text.Length > 200 ? text[..200] + "..." : text);
    }

    private static void WriteEntries(ConfigMap map, int indent, StringBuilder sb, bool provenance)
    {
        foreach (var (key, node) in map.Entries)
        {
            sb.Append(' ', indent).Append(Scalar(key)).Append(':');
            WriteValue(node, indent + Indent, sb, Comment(node, map, provenance), provenance);
        }
    }

    private static void WriteItems(ConfigList list, int indent, StringBuilder sb, bool provenance)
    {
        foreach (var item in list.Items)
        {
            if (IsInline(item))
            {
                sb.Append(' ', indent).Append('-');
                WriteValue(item, indent + Indent, sb, Comment(item, list, provenance), provenance);
                continue;
            }
            // A mapping or list inside a list starts on the dash's line ("- key: v"), so render it one level in
            // and put the dash where its first line's indentation was.
            var block = new StringBuilder();
            WriteBlock(item, indent + Indent, block, provenance);
            sb.Append(' ', indent).Append("- ").Append(block, indent + Indent, block.Length - indent - Indent);
        }
    }

    private static void WriteValue(ConfigNode node, int childIndent, StringBuilder sb, string comment, bool provenance)
    {
        if (IsInline(node))
        {
            sb.Append(' ').Append(Inline(node)).Append(comment).Append('\n');
            return;
        }
        sb.Append(comment).Append('\n');
        WriteBlock(node, childIndent, sb, provenance);
    }

    private static void WriteBlock(ConfigNode node, int indent, StringBuilder sb, bool provenance)
    {
        if (node is ConfigMap map)
            WriteEntries(map, indent, sb, provenance);
        else
            WriteItems((ConfigList)node, indent, sb, provenance);
    }

    private static bool IsInline(ConfigNode node) =>
        node is ConfigScalar or ConfigMap { Entries.Count: 0 } or ConfigList { Items.Count: 0 };

    private static string Inline(ConfigNode node) => node switch
    {
        ConfigScalar { Value: null } => "null",
        ConfigScalar { Value: { } text } => Scalar(text),
        ConfigMap => "{}",
        _ => "[]",
    };

    private static string Scalar(string text) => NeedsQuotes(text) ? Quote(text) : text;

    // Plain scalars are kept wherever YAML would read them back as the same string; everything else is double-quoted.
    private static bool NeedsQuotes(string text)
    {
        if (text.Length == 0 || YamlConfigReader.IsNullWord(text) || text.Equals("null", StringComparison.OrdinalIgnoreCase))
            return true;
        if (char.IsWhiteSpace(text[0]) || char.IsWhiteSpace(text[^1]))
            return true;
        if ("?:,[]{}#&*!|>'\"%@`".Contains(text[0]))
            return true;
        if (text[0] == '-' && (text.Length == 1 || text[1] == ' ' || text.StartsWith("---", StringComparison.Ordinal)))
            return true;
        if (text.StartsWith("...", StringComparison.Ordinal) || text.Contains(": ") || text.Contains(" #") || text.EndsWith(':'))
            return true;
        return text.Any(c => char.IsControl(c) || c is '\u0085' or '\u2028' or '\u2029' or '\uFEFF');
    }

    private static string Quote(string text)
    {
        var sb = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (char.IsControl(c) || c is '\u0085' or '\u2028' or '\u2029' or '\uFEFF')
                        sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    else
                        sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
