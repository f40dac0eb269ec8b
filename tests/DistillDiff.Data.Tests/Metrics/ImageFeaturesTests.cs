namespace DistillDiff.Data.Tests.Metrics;

using DistillDiff.Data.Metrics;
using DistillDiff.Engine;

public class ImageFeaturesTests
{
    [Fact]
    public void PoolsFashionSizedImagesTo49CellMeans()
    {
        using var scope = Torch.NewDisposeScope();
        // Image k holds value k everywhere except a 4x4 top-left cell of 1s: feature 0 is 1, the rest k.
        var x = Torch.Arange(0, 3, 1, DType.Float32).Reshape(3, 1, 1, 1).Expand(3, 1, 28, 28).Contiguous();
        x[.., .., 0..4, 0..4].Fill_(1);
        var f = ImageFeatures.Pooled(x);
        Assert.Equal(new long[] { 3, 49 }, f.Shape);
        var values = f.ToArray<float>();
        for (var k = 0; k < 3; k++)
        {
            Assert.Equal(1f, values[k * 49]);
            Assert.All(values.AsSpan(k * 49 + 1, 48).ToArray(), v => Assert.Equal(k, v));
        }
    }

    [Fact]
    public void AcceptsChannelLessAndMultiChannelImages()
    {
        using var scope = Torch.NewDisposeScope();
        Assert.Equal(new long[] { 2, 49 }, ImageFeatures.Pooled(Torch.Zeros(2, 28, 28)).Shape);
        Assert.Equal(new long[] { 2, 3 * 16 }, ImageFeatures.Pooled(Torch.Zeros(2, 3, 32, 32), size: 4).Shape);
        Assert.Throws<ArgumentException>(() => ImageFeatures.Pooled(Torch.Zeros(2, 784)));
    }
}
