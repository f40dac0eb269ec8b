using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace DistillDiff.Recipes;

/// <summary>
/// A fully resolved recipe: includes, the recipe file and <c>--set</c> overrides merged, each value remembering where
/// it came from. Key paths use '.' or ':' between segments (<c>train.lr</c>, <c>model.channels.0</c>).
/// </summary>
public sealed class Recipe
{
    private readonly ConfigMap tree;
    private readonly HashSet<string> boundSections = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> readValues = new(StringComparer.OrdinalIgnoreCase);

    internal Recipe(string sourcePath, ConfigMap tree)
    {
        SourcePath = sourcePath;
        this.tree = tree;
        Root = new ConfigurationBuilder()
            .AddInMemoryCollection(Flatten().Select(kv => KeyValuePair.Create(kv.Key.Replace('.', ':'), kv.Value)))
            .Build();
    }

    /// <summary>Full path of the recipe file.</summary>
    public string SourcePath { get; }

    /// <summary>The resolved values as an <see cref="IConfiguration"/> (null values and empty lists have no keys there).</summary>
    public IConfiguration Root { get; }

    public bool Has(string path) => Find(path) is not null;

    /// <summary>The value at <paramref name="path"/>, or null when absent or YAML null; marks the key as used.</summary>
    public string? GetString(string path)
    {
        var node = Find(path);
        if (node is ConfigMap or ConfigList)
            throw new RecipeException($"{node.Source}: key '{Canonical(path)}' must be a single value, got {node.Describe()}", Canonical(path), node.Source);
        readValues.Add(Canonical(path));
        return (node as ConfigScalar)?.Value;
    }

    /// <summary>The file (or <c>--set ...</c>) that gave the final value at <paramref name="path"/>, or null when absent.</summary>
    public string? SourceOf(string path) => Find(path)?.Source;

    public T Bind<T>(string sectionPath) => (T)Bind(typeof(T), sectionPath);

    /// <summary>
    /// Builds <paramref name="type"/> from the section at <paramref name="sectionPath"/> ("" for the whole recipe), refusing
    /// unknown keys, and marks the section as used. Keys already read with <see cref="GetString"/> (such as a
    /// <c>type</c> key that chose this option record) may stay in the section without a matching member.
    /// </summary>
    public object Bind(Type type, string sectionPath)
    {
        ArgumentNullException.ThrowIfNull(type);
        var path = Canonical(sectionPath);
        var result = new ConfigBinder(readValues.Contains).BindSection(type, Find(path), path, tree.Source);
        boundSections.Add(path);
        return result;
    }

    /// <summary>Names of the keys directly under <paramref name="path"/> in file order; item indices for a list.</summary>
    public IEnumerable<string> ChildKeys(string path) => Find(path) switch
    {
        ConfigMap map => [.. map.Entries.Keys],
        ConfigList list => Enumerable.Range(0, list.Items.Count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList(),
        _ => [],
    };

    /// <summary>Every value by dotted key path, in file order; empty lists and mappings have no entry.</summary>
    public IReadOnlyDictionary<string, string?> Flatten()
    {
        var result = new OrderedDictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        void Walk(ConfigNode node, string path)
        {
            switch (node)
            {
                case ConfigScalar scalar:
                    result[path] = scalar.Value;
                    break;
                case ConfigMap map:
                    foreach (var (key, child) in map.Entries)
                        Walk(child, KeyPath.Join(path, key));
                    break;
                case ConfigList list:
                    for (var i = 0; i < list.Items.Count; i++)
                        Walk(list.Items[i], KeyPath.Join(path, i.ToString(CultureInfo.InvariantCulture)));
                    break;
            }
        }
        Walk(tree, "");
        return result;
    }

    /// <summary>The resolved recipe as YAML, for saving with a run; loading it again gives the same values.</summary>
    public string ToYaml() => YamlConfigWriter.Write(tree);

    /// <summary>
    /// <see cref="ToYaml"/> with a comment on every value an environment variable or <c>--set</c> gave
    /// (<c>lr: 1e-3  # from --set teacher.lr=1e-3</c>): what a run folder's config.yaml holds.
    /// </summary>
    public string ToYamlWithProvenance() => YamlConfigWriter.Write(tree, provenance: true);

    /// <summary>Counts the key or section at <paramref name="path"/> as used, for code that reads it through <see cref="Root"/>.</summary>
    public void MarkUsed(string path) => boundSections.Add(Canonical(path));

    /// <summary>
    /// Keys that no <see cref="Bind"/>, <see cref="GetString"/> or <see cref="MarkUsed"/> call has covered, each given at the outermost
    /// unread level (a whole mistyped section is one entry).
    /// </summary>
    public IReadOnlyList<string> UnusedKeys() => [.. Unused().Select(u => u.Path)];

    /// <summary>Refuses the recipe when any key was never read, so a typo anywhere is reported instead of ignored.</summary>
    public void EnsureAllKeysUsed()
    {
        var unused = Unused();
        if (unused.Count == 0)
            return;
        var messages = unused.Select(u => ConfigBinder.UnknownKeyMessage(u.Node.Source, u.Path, KnownChildren(KeyPath.Parent(u.Path))));
        throw new RecipeException(string.Join('\n', messages), unused[0].Path, unused[0].Node.Source);
    }

    private List<(string Path, ConfigNode Node)> Unused()
    {
        var consumed = boundSections.Concat(readValues).ToList();
        var unused = new List<(string, ConfigNode)>();
        void Walk(ConfigNode node, string path)
        {
            if (consumed.Any(c => KeyPath.IsWithin(path, c)))
                return;
            if (path.Length > 0 && !consumed.Any(c => c.Length > path.Length && KeyPath.IsWithin(c, path)))
            {
                unused.Add((path, node));
                return;
            }
            var children = node switch
            {
                ConfigMap map => map.Entries.Select(e => (e.Key, e.Value)),
                ConfigList list => list.Items.Select((item, i) => (i.ToString(CultureInfo.InvariantCulture), item)),
                _ => [],
            };
            foreach (var (key, child) in children)
                Walk(child, KeyPath.Join(path, key));
        }
        Walk(tree, "");
        return unused;
    }

    // The names under `parent` that something did read, i.e. what an unused key there was probably meant to be.
    private List<string> KnownChildren(string parent) =>
        boundSections.Concat(readValues)
            .Where(c => c.Length > parent.Length && KeyPath.IsWithin(c, parent))
            .Select(c => c[(parent.Length == 0 ? 0 : parent.Length + 1)..].Split('.')[0])
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.Ordinal)
            .ToList();

    private ConfigNode? Find(string path)
    {
        ConfigNode? node = tree;
        foreach (var segment in KeyPath.Split(path))
        {
            node = node switch
            {
                ConfigMap map => map.Entries.GetValueOrDefault(segment),
                ConfigList list when int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < list.Items.Count => list.Items[i],
                _ => null,
            };
            if (node is null)
                return null;
        }
        return node;
    }

    private static string Canonical(string path) => string.Join('.', KeyPath.Split(path));
}
