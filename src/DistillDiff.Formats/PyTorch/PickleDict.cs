namespace DistillDiff.Formats.PyTorch;

/// <summary>A Python dict or OrderedDict from a pickle, in insertion order (keys are strings, integers or tuples).</summary>
public sealed class PickleDict : List<KeyValuePair<object, object?>>
{
    public object? this[string key] => Find(key) is { } i ? this[i].Value : throw new KeyNotFoundException(key);

    public bool TryGet(string key, out object? value)
    {
        if (Find(key) is { } i)
        {
            value = this[i].Value;
            return true;
        }
        value = null;
        return false;
    }

    /// <summary>Sets a key, replacing an earlier value in place (Python's dict semantics).</summary>
    internal void Set(object key, object? value)
    {
        var i = FindIndex(p => Equals(p.Key, key));
        if (i >= 0) this[i] = new(key, value);
        else Add(new(key, value));
    }

    private int? Find(string key)
    {
        var i = FindIndex(p => p.Key is string s && s == key);
        return i >= 0 ? i : null;
    }
}
