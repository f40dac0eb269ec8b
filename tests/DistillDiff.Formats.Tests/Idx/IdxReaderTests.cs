using System.Buffers.Binary;
using System.IO.Compression;
using DistillDiff.Formats.Idx;

namespace DistillDiff.Formats.Tests.Idx;

public sealed class IdxReaderTests
{
    private const string FashionMnist = "/usr/share/datasets/fashion-mnist";

    private static byte[] Idx(int magic, int[] dims, int payloadLength, int extra = 0)
    {
        var bytes = new byte[4 + 4 * dims.Length + payloadLength + extra];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int i = 0; i < dims.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        for (int i = 4 + 4 * dims.Length; i < bytes.Length; i++)
            bytes[i] = (byte)(i * 7);
        return bytes;
    }

    private static string Save(TempDirectory dir, string name, byte[] content, bool gzip)
    {
        string path = dir.File(gzip ? name + ".gz" : name);
        using var file = File.Create(path);
        if (gzip)
        {
            using var zip = new GZipStream(file, CompressionLevel.Fastest);
            zip.Write(content);
        }
        else
        {
            file.Write(content);
        }
        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ImagesAndLabelsAreReadRawOrGzipped(bool gzip)
    {
        using var dir = new TempDirectory();
        byte[] images = Idx(2051, [3, 2, 4], 3 * 2 * 4);
        byte[] labels = Idx(2049, [3], 3);

        IdxImages read = IdxReader.ReadImages(Save(dir, "images-idx3-ubyte", images, gzip));
        Assert.Equal((3, 2, 4), (read.Count, read.Rows, read.Cols));
        Assert.Equal(images[16..], read.Pixels);
        Assert.Equal(images[(16 + 8)..(16 + 16)], read.Image(1).ToArray());
        Assert.Equal(labels[8..], IdxReader.ReadLabels(Save(dir, "labels-idx1-ubyte", labels, gzip)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LabelFileGivenAsImagesIsNamedAsSuch(bool gzip)
    {
        using var dir = new TempDirectory();
        string path = Save(dir, "labels", Idx(2049, [3], 3), gzip);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Contains($"'{path}'", e.Message);
        Assert.Contains("expected magic 2051 (0x00000803", e.Message);
        Assert.Contains("found 2049 (0x00000801), which is a label file", e.Message);
    }

    [Fact]
    public void WrongMagicBytesAreExplained()
    {
        using var dir = new TempDirectory();
        string path = Save(dir, "weird", Idx(0x00000903, [1, 1, 1], 1), gzip: false);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Contains("element type 0x09 is not unsigned byte (0x08)", e.Message);

        path = Save(dir, "text", "hello world, not idx"u8.ToArray(), gzip: false);
        e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));
        Assert.Contains("the first two bytes of an IDX file are zero", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedPayloadReportsExpectedAndFoundLengths(bool gzip)
    {
        using var dir = new TempDirectory();
        string path = Save(dir, "images", Idx(2051, [2, 3, 3], 10), gzip);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Contains($"'{path}'", e.Message);
        Assert.Contains("is truncated: dimensions 2 x 3 x 3 (count, rows, cols) need 18 data bytes after the 16-byte header, found 10", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TrailingBytesAreReported(bool gzip)
    {
        using var dir = new TempDirectory();
        string path = Save(dir, "labels", Idx(2049, [4], 4, extra: 3), gzip);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));
        Assert.Contains($"'{path}'", e.Message);
        Assert.Contains("has 3 trailing bytes after the 4 data bytes implied by dimensions 4 (count)", e.Message);
    }

    [Fact]
    public void ShortFilesAndZeroImageSizesAreReported()
    {
        using var dir = new TempDirectory();
        string tiny = Save(dir, "tiny", [0, 0], gzip: false);
        Assert.Contains("has 2 bytes, too short for the 4-byte magic number",
            Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(tiny)).Message);

        string header = Save(dir, "header", Idx(2051, [5, 28, 28], 0)[..10], gzip: false);
        Assert.Contains("truncated in its header: 10 of 16 bytes (count, rows, cols)",
            Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(header)).Message);

        string flat = Save(dir, "flat", Idx(2051, [5, 0, 28], 0), gzip: false);
        Assert.Contains("declares images of 0 rows x 28 cols; both must be positive",
            Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(flat)).Message);
    }

    [Fact]
    public void CorruptGzipNamesTheFile()
    {
        using var dir = new TempDirectory();
        string path = Save(dir, "labels", Idx(2049, [2000], 2000), gzip: true);
        byte[] bytes = File.ReadAllBytes(path);
        for (int i = 12; i < bytes.Length - 8; i++)
            bytes[i] ^= 0x5A;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));
        Assert.Contains($"'{path}' (gzip)", e.Message);
    }

    [Fact]
    public void RealFashionMnistTrainingSetHas60000BalancedExamples()
    {
        string imagesPath = Path.Combine(FashionMnist, "train-images-idx3-ubyte.gz");
        string labelsPath = Path.Combine(FashionMnist, "train-labels-idx1-ubyte.gz");
        Assert.True(File.Exists(imagesPath) && File.Exists(labelsPath),
            $"Fashion-MNIST not found under {FashionMnist}; install it with 'apt-get install dataset-fashion-mnist'.");

        IdxImages images = IdxReader.ReadImages(imagesPath);
        byte[] labels = IdxReader.ReadLabels(labelsPath);

        Assert.Equal((60000, 28, 28), (images.Count, images.Rows, images.Cols));
        Assert.Equal(60000 * 28 * 28, images.Pixels.Length);
        Assert.Equal(60000, labels.Length);
        Assert.All(labels, l => Assert.InRange(l, (byte)0, (byte)9));
        Assert.All(labels.GroupBy(l => l), g => Assert.Equal(6000, g.Count()));
        Assert.Equal(10, labels.Distinct().Count());
        // Cross-checked with Python's gzip module: the first labels, and the first image (an ankle boot) pixel sum.
        Assert.Equal([9, 0, 0, 3, 0, 2, 7, 2, 5, 5], labels[..10]);
        Assert.Equal(76247, images.Image(0).ToArray().Sum(p => p));
    }
}
