namespace DistillDiff.Data.Datasets;

using DistillDiff.Engine;
using DistillDiff.Formats.Idx;

/// <summary>
/// Fashion-MNIST (Xiao, Rasul &amp; Vollgraf 2017): 28x28 grayscale clothing images in 10 classes, 60,000 for
/// training and 10,000 for testing, read from the four gzip IDX files of the original release. The pixels stay
/// in managed memory as bytes (47 MB for the training split); each batch is copied to the device as uint8 and
/// scaled there to [-1, 1], the range diffusion models are trained in (x = p / 127.5 - 1, so 0 → -1, 255 → 1).
/// </summary>
public sealed class FashionMnistDataset : IDataset
{
    /// <summary>Where the <c>dataset-fashion-mnist</c> package installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Class names by label, as in the dataset's README.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    private readonly byte[] _pixels;
    private readonly byte[] _labels;
    private readonly int _imageSize;

    /// <param name="directory">Folder holding {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz.</param>
    /// <param name="train">The 60,000-image training split, else the 10,000-image test split.</param>
    /// <param name="limit">Keep at most this many samples (the first ones in file order), for quick runs.</param>
    public FashionMnistDataset(string directory = DefaultDirectory, bool train = true, int? limit = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (limit is <= 0) throw new ArgumentOutOfRangeException(nameof(limit), limit, "the sample limit must be positive");
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException(
                $"Fashion-MNIST directory '{directory}' does not exist. Install the data with `apt-get install dataset-fashion-mnist` " +
                $"(it goes to {DefaultDirectory}) or set the `data.path` key to a folder holding the four *-ubyte.gz files.");

        var prefix = train ? "train" : "t10k";
        var imagesPath = Path.Combine(directory, $"{prefix}-images-idx3-ubyte.gz");
        var labelsPath = Path.Combine(directory, $"{prefix}-labels-idx1-ubyte.gz");
        foreach (var path in new[] { imagesPath, labelsPath })
        {
            if (!File.Exists(path))
                throw new FileNotFoundException(
                    $"Fashion-MNIST file '{path}' is missing. Reinstall with `apt-get install --reinstall dataset-fashion-mnist` " +
                    "or point the `data.path` key at a complete copy.", path);
        }

        var images = IdxReader.ReadImages(imagesPath);
        var labels = IdxReader.ReadLabels(labelsPath);
        if (images.Count != labels.Length)
            throw new InvalidDataException(
                $"Fashion-MNIST files disagree: '{imagesPath}' holds {images.Count} images but '{labelsPath}' holds {labels.Length} labels.");
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= ClassNames.Count)
                throw new InvalidDataException(
                    $"Fashion-MNIST label file '{labelsPath}': label {i} is {labels[i]}, outside the {ClassNames.Count} classes 0..{ClassNames.Count - 1}.");
        }

        var count = Math.Min(images.Count, limit ?? int.MaxValue);
        _imageSize = images.ImageSize;
        _pixels = count == images.Count ? images.Pixels : images.Pixels.AsSpan(0, count * _imageSize).ToArray();
        _labels = count == labels.Length ? labels : labels.AsSpan(0, count).ToArray();
        SampleShape = [1, images.Rows, images.Cols];
        Name = $"fashion_mnist/{(train ? "train" : "test")}";
    }

    public string Name { get; }

    public long Count => _labels.Length;

    public long[] SampleShape { get; }

    public int NumClasses => ClassNames.Count;

    /// <summary>data.pin_memory: null stages batches for a CUDA device through pinned memory; see <see cref="HostUpload"/>.</summary>
    public bool? PinMemory { get; init; }

    public Batch GetBatch(long[] indices, Device device)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var pixels = new byte[indices.Length * _imageSize];
        var labels = new long[indices.Length];
        for (var i = 0; i < indices.Length; i++)
        {
            var k = indices[i];
            if ((ulong)k >= (ulong)_labels.Length)
                throw new ArgumentOutOfRangeException(nameof(indices), k, $"index {k} (batch position {i}) is outside {Name}'s {Count} samples");
            _pixels.AsSpan((int)k * _imageSize, _imageSize).CopyTo(pixels.AsSpan(i * _imageSize));
            labels[i] = _labels[k];
        }

        long[] shape = [indices.Length, .. SampleShape];
        // Bytes cross to the device (4x less traffic than float32); 255 / 127.5 - 1 is exactly 1 in float32.
        using var raw = HostUpload.Bytes(pixels, shape, DType.UInt8, device, PinMemory);
        var x = raw.To(DType.Float32).Div_(127.5).Add_(-1.0);
        var y = HostUpload.Span<long>(labels, [labels.Length], device, PinMemory);
        return new Batch(x, y);
    }
}
