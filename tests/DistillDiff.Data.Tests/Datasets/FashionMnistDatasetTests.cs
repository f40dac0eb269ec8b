namespace DistillDiff.Data.Tests.Datasets;

using DistillDiff.Data.Datasets;
using DistillDiff.Engine;
using DistillDiff.Formats.Idx;

public class FashionMnistDatasetTests(FashionMnistFixture fixture) : IClassFixture<FashionMnistFixture>
{
    private const string Installed = FashionMnistDataset.DefaultDirectory;

    [Fact]
    public void DescribesTheTestSplit()
    {
        var data = fixture.Test;
        Assert.Equal("fashion_mnist/test", data.Name);
        Assert.Equal(10_000, data.Count);
        Assert.Equal(new long[] { 1, 28, 28 }, data.SampleShape);
        Assert.Equal(10, data.NumClasses);
        Assert.Equal("T-shirt/top", FashionMnistDataset.ClassNames[0]);
        Assert.Equal("Ankle boot", FashionMnistDataset.ClassNames[9]);
    }

    [Fact]
    public void BatchHasTheRightShapeRangeAndLabels()
    {
        using var scope = Torch.NewDisposeScope();
        long[] indices = [0, 1, 2, 9_999, 5_000, 1];
        var batch = fixture.Test.GetBatch(indices, Device.CPU);
        Assert.Equal(new long[] { 6, 1, 28, 28 }, batch.X.Shape);
        Assert.Equal(DType.Float32, batch.X.DType);
        Assert.Equal(-1.0, batch.X.Min().Item());
        Assert.Equal(1.0, batch.X.Max().Item());
        Assert.NotNull(batch.Labels);
        Assert.Equal(DType.Int64, batch.Labels.DType);
        Assert.All(batch.Labels.ToArray<long>(), l => Assert.InRange(l, 0, 9));

        // p / 127.5 - 1 of the file's bytes (to float32 rounding), with the file's labels, in the requested order.
        var images = IdxReader.ReadImages(Path.Combine(Installed, "t10k-images-idx3-ubyte.gz"));
        var labels = IdxReader.ReadLabels(Path.Combine(Installed, "t10k-labels-idx1-ubyte.gz"));
        var x = batch.X.ToArray<float>();
        for (var i = 0; i < indices.Length; i++)
        {
            var expected = images.Image((int)indices[i]).ToArray();
            for (var j = 0; j < 784; j++) Assert.Equal(expected[j] / 127.5 - 1, x[i * 784 + j], 1e-6);
        }
        Assert.Equal(indices.Select(k => (long)labels[k]), batch.Labels.ToArray<long>());
    }

    [Fact]
    public void BatchTensorsBelongToTheCallersScope()
    {
        Batch batch;
        using (var scope = Torch.NewDisposeScope())
        {
            batch = fixture.Test.GetBatch([3, 4], Device.CPU);
            Assert.False(batch.X.IsDisposed);
        }
        Assert.True(batch.X.IsDisposed);
        Assert.True(batch.Labels!.IsDisposed);
    }

    [Fact]
    public void TrainSplitWithLimitKeepsTheFirstImages()
    {
        var data = new FashionMnistDataset(Installed, train: true, limit: 100);
        Assert.Equal("fashion_mnist/train", data.Name);
        Assert.Equal(100, data.Count);
        using var scope = Torch.NewDisposeScope();
        var batch = data.GetBatch([99], Device.CPU);
        Assert.Equal(new long[] { 1, 1, 28, 28 }, batch.X.Shape);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.GetBatch([100], Device.CPU));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.GetBatch([-1], Device.CPU));
    }

    [Fact]
    public void MissingDirectoryTellsHowToGetTheData()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => new FashionMnistDataset("/nonexistent/fashion-mnist"));
        Assert.Contains("/nonexistent/fashion-mnist", e.Message);
        Assert.Contains("apt-get install dataset-fashion-mnist", e.Message);
        Assert.Contains("data.path", e.Message);
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        using var dir = new TempDirectory();
        IdxFiles.WriteImages(Path.Combine(dir.Path, "t10k-images-idx3-ubyte.gz"), 2);
        var e = Assert.Throws<FileNotFoundException>(() => new FashionMnistDataset(dir.Path, train: false));
        Assert.Contains("t10k-labels-idx1-ubyte.gz", e.Message);
    }

    [Fact]
    public void CountMismatchNamesBothFiles()
    {
        using var dir = new TempDirectory();
        var images = Path.Combine(dir.Path, "t10k-images-idx3-ubyte.gz");
        var labels = Path.Combine(dir.Path, "t10k-labels-idx1-ubyte.gz");
        IdxFiles.WriteImages(images, 3);
        IdxFiles.WriteLabels(labels, 1, 2);
        var e = Assert.Throws<InvalidDataException>(() => new FashionMnistDataset(dir.Path, train: false));
        Assert.Contains(images, e.Message);
        Assert.Contains(labels, e.Message);
        Assert.Contains("3 images", e.Message);
        Assert.Contains("2 labels", e.Message);
    }

    [Fact]
    public void LabelOutsideTheTenClassesIsRejected()
    {
        using var dir = new TempDirectory();
        IdxFiles.WriteImages(Path.Combine(dir.Path, "train-images-idx3-ubyte.gz"), 2, fill: 255);
        IdxFiles.WriteLabels(Path.Combine(dir.Path, "train-labels-idx1-ubyte.gz"), 9, 10);
        var e = Assert.Throws<InvalidDataException>(() => new FashionMnistDataset(dir.Path));
        Assert.Contains("label 1 is 10", e.Message);
    }

    [Fact]
    public void SmallFilesWork()
    {
        using var dir = new TempDirectory();
        IdxFiles.WriteImages(Path.Combine(dir.Path, "train-images-idx3-ubyte.gz"), 2, rows: 4, cols: 5, fill: 255);
        IdxFiles.WriteLabels(Path.Combine(dir.Path, "train-labels-idx1-ubyte.gz"), 7, 3);
        var data = new FashionMnistDataset(dir.Path, limit: 10);
        Assert.Equal(2, data.Count);
        Assert.Equal(new long[] { 1, 4, 5 }, data.SampleShape);
        using var scope = Torch.NewDisposeScope();
        var batch = data.GetBatch([1, 0], Device.CPU);
        Assert.All(batch.X.ToArray<float>(), v => Assert.Equal(1f, v));
        Assert.Equal(new long[] { 3, 7 }, batch.Labels!.ToArray<long>());
    }

    [Fact]
    public void NonPositiveLimitIsRejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new FashionMnistDataset(Installed, limit: 0));
}
