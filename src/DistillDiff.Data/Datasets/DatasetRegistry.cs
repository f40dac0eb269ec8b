namespace DistillDiff.Data.Datasets;

/// <summary>
/// Dataset factories by name, so a recipe's <c>data.type</c> picks one and new datasets plug in without touching
/// the trainer. <see cref="Default"/> knows <c>fashion_mnist</c> and <c>toy2d</c>; each factory checks the
/// <see cref="DataConfig"/> keys it is given and refuses those meant for another type.
/// </summary>
public sealed class DatasetRegistry
{
    private readonly Dictionary<string, Func<DataConfig, IDataset>> _factories = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>A registry holding the built-in datasets; shared, so registrations there are visible everywhere.</summary>
    public static DatasetRegistry Default { get; } = CreateBuiltIn();

    /// <summary>The registered names, sorted.</summary>
    public IReadOnlyList<string> Names
    {
        get
        {
            lock (_lock) return _factories.Keys.Order(StringComparer.Ordinal).ToList();
        }
    }

    public bool Contains(string name)
    {
        lock (_lock) return _factories.ContainsKey(name);
    }

    /// <summary>Adds a dataset under <paramref name="name"/>; a name can be registered once.</summary>
    public void Register(string name, Func<DataConfig, IDataset> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        lock (_lock)
        {
            if (!_factories.TryAdd(name, factory))
                throw new ArgumentException($"a dataset named '{name}' is already registered", nameof(name));
        }
    }

    /// <summary>Builds the dataset that <paramref name="config"/>'s type names.</summary>
    public IDataset Create(DataConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Func<DataConfig, IDataset>? factory;
        lock (_lock) _factories.TryGetValue(config.Type ?? "", out factory);
        if (factory is null)
            throw new ArgumentException($"unknown dataset type '{config.Type}' in key 'data.type' (expected one of: {string.Join(", ", Names)})", nameof(config));
        return factory(config);
    }

    /// <summary>A registry with only the built-in datasets (for tests, or to keep custom registrations local).</summary>
    public static DatasetRegistry CreateBuiltIn()
    {
        var registry = new DatasetRegistry();
        registry.Register("fashion_mnist", FashionMnist);
        registry.Register("toy2d", Toy2D);
        return registry;
    }

    private static FashionMnistDataset FashionMnist(DataConfig c)
    {
        RejectKeys(c, ("kind", c.Kind), ("count", c.Count), ("seed", c.Seed), ("noise", c.Noise));
        var train = c.Split switch
        {
            null or "train" => true,
            "test" => false,
            _ => throw new ArgumentException($"key 'data.split' is '{c.Split}' (expected train or test)", nameof(c)),
        };
        return new FashionMnistDataset(c.Path ?? FashionMnistDataset.DefaultDirectory, train, c.Limit) { PinMemory = c.PinMemory };
    }

    private static Toy2DDataset Toy2D(DataConfig c)
    {
        RejectKeys(c, ("path", c.Path), ("split", c.Split), ("limit", c.Limit));
        if (c.Kind is null)
            throw new ArgumentException($"type toy2d needs key 'data.kind' (one of: {string.Join(", ", Toy2DDataset.Kinds)})", nameof(c));
        return new Toy2DDataset(c.Kind, c.Count ?? DataConfig.DefaultToyCount, c.Seed ?? 0, c.Noise) { PinMemory = c.PinMemory };
    }

    private static void RejectKeys(DataConfig c, params (string Key, object? Value)[] keys)
    {
        var set = keys.Where(k => k.Value is not null).Select(k => $"'data.{k.Key}'").ToList();
        if (set.Count > 0)
            throw new ArgumentException($"key{(set.Count > 1 ? "s" : "")} {string.Join(", ", set)} do{(set.Count > 1 ? "" : "es")} not apply to dataset type {c.Type}", nameof(c));
    }
}
