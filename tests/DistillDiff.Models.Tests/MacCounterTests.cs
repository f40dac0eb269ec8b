namespace DistillDiff.Models.Tests;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;
using DistillDiff.Models.Blocks;
using DistillDiff.Models.Profiling;

public class MacCounterTests
{
    [Fact]
    public void ConvCountsOutputElementsTimesFanIn()
    {
        using var scope = Torch.NewDisposeScope();
        using var conv = new Conv2d(3, 8, 3, padding: 1);
        var x = Torch.Zeros(2, 3, 10, 10);
        // 2 x 8 x 10 x 10 outputs, each 3 x 3 x 3 multiply-adds.
        Assert.Equal(2L * 8 * 10 * 10 * 3 * 3 * 3, MacCounter.Measure(() => conv.Counted(x)));

        using var strided = new Conv2d(3, 8, 3, stride: 2, padding: 1);
        Assert.Equal(2L * 8 * 5 * 5 * 27, MacCounter.Measure(() => strided.Counted(x)));

        using var depthwise = new Conv2d(8, 8, 3, padding: 1, groups: 8);
        var y = Torch.Zeros(1, 8, 4, 4);
        Assert.Equal(1L * 8 * 4 * 4 * 1 * 9, MacCounter.Measure(() => depthwise.Counted(y)));
    }

    [Fact]
    public void LinearCountsOutputElementsTimesInFeatures()
    {
        using var scope = Torch.NewDisposeScope();
        using var linear = new Linear(5, 7);
        Assert.Equal(4L * 7 * 5, MacCounter.Measure(() => linear.Counted(Torch.Zeros(4, 5))));
        Assert.Equal(2L * 3 * 7 * 5, MacCounter.Measure(() => linear.Counted(Torch.Zeros(2, 3, 5))));
    }

    [Fact]
    public void AttentionCountsProjectionsAndBothMatmuls()
    {
        using var scope = Torch.NewDisposeScope();
        using var attn = new AttentionBlock2D(16, headDim: 4, normGroups: 4, eps: 1e-5);
        var tokens = 4 * 4;
        // q, k, v, out projections: 4 x tokens x 16 x 16; Q K^T and A V: 2 x heads 4 x tokens^2 x head_dim 4.
        var expected = 4L * tokens * 16 * 16 + 2L * 4 * tokens * tokens * 4;
        Assert.Equal(expected, MacCounter.Measure(() => attn.Forward(Torch.Zeros(1, 16, 4, 4))));
    }

    [Fact]
    public void NothingIsCountedOutsideAMeasureAndNestedMeasuresAddUp()
    {
        using var scope = Torch.NewDisposeScope();
        using var linear = new Linear(2, 2);
        Assert.False(MacCounter.IsCounting);
        linear.Counted(Torch.Zeros(1, 2));
        long inner = 0;
        var outer = MacCounter.Measure(() =>
        {
            linear.Counted(Torch.Zeros(1, 2));
            inner = MacCounter.Measure(() => linear.Counted(Torch.Zeros(3, 2)));
        });
        Assert.Equal(12, inner);
        Assert.Equal(16, outer);
    }
}
