using System.Globalization;
using System.Text;

namespace DistillDiff.Recipes;

/// <summary>Writes a resolved config as block-style YAML that <see cref="YamlConfigReader"/> reads back to the same values.</summary>
internal static class YamlConfigWriter
{
    private const int Indent = 2;

    public static string Write(ConfigMap root)
    {
        if (root.Entries.Count == 0)
            return "{}\n";
        var sb = new StringBuilder();
        WriteEntries(root, 0, sb);
        return sb.ToString();
    }

    private static void WriteEntries(ConfigMap map, int indent, StringBuilder sb)
    {
        foreach (var (key, node) in map.Entries)
        {
            sb.Append(' ', indent).Append(Scalar(key)).Append(':');
            WriteValue(node, indent + Indent, sb);
        }
    }

    private static void WriteItems(ConfigList list, int indent, StringBuilder sb)
    {
        foreach (var item in list.Items)
        {
            if (IsInline(item))
            {
                sb.Append(' ', indent).Append('-');
                WriteValue(item, indent + Indent, sb);
                continue;
            }
            // A mapping or list inside a list starts on the dash's line ("- key: v"), so render it one level in
            // and put the dash where its first line's indentation was.
            var block = new StringBuilder();
            WriteBlock(item, indent + Indent, block);
            sb.Append(' ', indent).Append("- ").Append(block, indent + Indent, block.Length - indent - Indent);
        }
    }

    private static void WriteValue(ConfigNode node, int childIndent, StringBuilder sb)
    {
        if (IsInline(node))
        {
            sb.Append(' ').Append(Inline(node)).Append('\n');
            return;
        }
        sb.Append('\n');
        WriteBlock(node, childIndent, sb);
    }

    private static void WriteBlock(ConfigNode node, int indent, StringBuilder sb)
    {
        if (node is ConfigMap map)
            WriteEntries(map, indent, sb);
        else
            WriteItems((ConfigList)node, indent, sb);
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
