namespace DistillDiff.Data.Datasets;

/// <summary>
/// The <c>data</c> section of a recipe: which dataset to train on, built by <see cref="DatasetRegistry"/>. Keys are
/// snake_case in YAML. Keys that do not apply to the chosen <c>type</c> must stay unset, so a misplaced key is an
/// error rather than silently ignored.
/// <code>
/// data: { type: fashion_mnist, path: /usr/share/datasets/fashion-mnist, split: train, limit: 5000 }
/// data: { type: toy2d, kind: two_moons, count: 100000, seed: 0, noise: 0.1 }
/// </code>
/// </summary>
public sealed record DataConfig
{
    /// <summary><c>type</c>: registry name, <c>fashion_mnist</c> or <c>toy2d</c> (see <see cref="DatasetRegistry.Names"/>).</summary>
    public required string Type { get; init; }

    /// <summary><c>path</c> (fashion_mnist): folder of the IDX .gz files; default <see cref="FashionMnistDataset.DefaultDirectory"/>.</summary>
    public string? Path { get; init; }

    /// <summary><c>split</c> (fashion_mnist): <c>train</c> (60,000 images, the default) or <c>test</c> (10,000).</summary>
    public string? Split { get; init; }

    /// <summary><c>limit</c> (fashion_mnist): keep at most this many images, the first in file order; default all.</summary>
    public int? Limit { get; init; }

    /// <summary><c>kind</c> (toy2d, required): one of <see cref="Toy2DDataset.Kinds"/>.</summary>
    public string? Kind { get; init; }

    /// <summary><c>count</c> (toy2d): number of points; default <see cref="DefaultToyCount"/>.</summary>
    public long? Count { get; init; }

    /// <summary><c>seed</c> (toy2d): fixes the points; default 0. (Data order has its own seed in the sampler.)</summary>
    public ulong? Seed { get; init; }

    /// <summary><c>noise</c> (toy2d): Gaussian noise std per coordinate; default per kind (see <see cref="Toy2DDataset"/>).</summary>
    public double? Noise { get; init; }

    /// <summary>
    /// <c>pin_memory</c> (any type): batches reach a CUDA device through pinned host memory with non-blocking copies
    /// (<see cref="HostUpload"/>). Unset: whenever the device is CUDA; true: required (refused unless run.device is
    /// CUDA); false: plain copies.
    /// </summary>
    public bool? PinMemory { get; init; }

    /// <summary>Points in a toy set when <c>count</c> is unset: ample for a 2-d density, and 800 KB of points.</summary>
    public const long DefaultToyCount = 100_000;
}
