namespace DistillDiff.Engine.Nn;

using System.Collections;

/// <summary>Submodules named by position ("0", "1", ...), as torch.nn.ModuleList, e.g. down_blocks.0.resnets.1.</summary>
public sealed class ModuleList<T> : Module, IReadOnlyList<T> where T : Module
{
    private readonly List<T> _items = new();

    public ModuleList(IEnumerable<T>? items = null)
    {
        foreach (var m in items ?? []) Add(m);
    }

    public T this[int index] => _items[index];

    public int Count => _items.Count;

    public void Add(T module) => _items.Add(RegisterModule(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module));

    public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
