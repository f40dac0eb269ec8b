namespace DistillDiff.Engine.Tests;

public class SmokeTests
{
    [Fact]
    public void AddsAndReadsBack()
    {
        using var scope = Torch.NewDisposeScope();
        var a = Torch.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2);
        var b = a * 2 + 1;
        Assert.Equal(new float[] { 3, 5, 7, 9 }, b.ToArray<float>());
        Assert.Equal(new long[] { 2, 2 }, b.Shape);
        Assert.Equal(24.0, b.Sum().Item());
    }

    [Fact]
    public void ShapeMismatchIsADotNetException()
    {
        using var scope = Torch.NewDisposeScope();
        var a = Torch.Zeros(2, 3);
        var b = Torch.Zeros(4, 5);
        var ex = Assert.Throws<TorchException>(() => a + b);
        Assert.Contains("must match the size", ex.Message);
        Assert.DoesNotContain("Exception raised from", ex.Message);
    }
}
