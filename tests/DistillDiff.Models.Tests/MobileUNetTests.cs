namespace DistillDiff.Models.Tests;

using DistillDiff.Engine;
using DistillDiff.Models.Mobile;

public class MobileUNetTests
{
    [Fact]
    public void ForwardAndBackwardOnFashionMnistSizedInput()
    {
        Torch.ManualSeed(21);
        using var model = new MobileUNet(TestConfigs.SmallMobile());
        using var scope = Torch.NewDisposeScope();
        var y = model.Forward(Torch.Randn(2, 1, 28, 28), Torch.FromArray(new float[] { 0, 999 }));
        Assert.Equal(new long[] { 2, 1, 28, 28 }, y.Shape);
        y.Square().Mean().Backward();
        foreach (var (name, p) in model.NamedParameters())
        {
            using var g = p.Grad;
            Assert.True(g is not null && g.Abs().Sum().Item() > 0, $"{name} got no gradient");
        }
    }

    [Fact]
    public void OddSizesComeBackExactly()
    {
        // 4 levels: 28 -> 14 -> 7 -> 4; upsampling resizes to each skip, so 4 -> 7 works.
        using var model = new MobileUNet(TestConfigs.SmallMobile() with { BlockOutChannels = [16, 16, 32, 32], LayersPerBlock = [1, 1, 1, 1] });
        using var noGrad = Torch.NoGrad();
        using var scope = Torch.NewDisposeScope();
        var y = model.Forward(Torch.Randn(1, 1, 28, 28), Torch.Zeros(1));
        Assert.Equal(new long[] { 1, 1, 28, 28 }, y.Shape);
    }

    [Fact]
    public void SeparableResnetsAndAttentionOnlyAtTheDeepestLevel()
    {
        using var model = new MobileUNet(TestConfigs.SmallMobile());
        var sd = model.StateDict();
        Assert.Equal(new long[] { 16, 1, 3, 3 }, sd["down_blocks.0.resnets.0.conv1.depthwise.weight"].Shape);
        Assert.Equal(new long[] { 16, 16, 1, 1 }, sd["down_blocks.0.resnets.0.conv1.pointwise.weight"].Shape);
        Assert.DoesNotContain(sd.Keys, k => k.StartsWith("down_blocks.0.attentions", StringComparison.Ordinal)
            || k.StartsWith("down_blocks.1.attentions", StringComparison.Ordinal));
        Assert.Contains("down_blocks.2.attentions.1.to_q.weight", sd.Keys);
        Assert.Contains("up_blocks.0.attentions.2.to_out.0.weight", sd.Keys); // deepest up level: 2 + 1 resnets
        Assert.Contains("mid_block.attentions.0.to_k.weight", sd.Keys);
        Assert.Single(sd.Keys, k => k.StartsWith("down_blocks.0.resnets.", StringComparison.Ordinal) && k.EndsWith("norm1.weight", StringComparison.Ordinal));

        using var full = new MobileUNet(TestConfigs.SmallMobile() with { SeparableConv = false });
        Assert.Contains("down_blocks.0.resnets.0.conv1.weight", full.StateDict().Keys);
        Assert.True(model.NumParameters() < full.NumParameters() / 2);
    }

    [Fact]
    public void ClassLabelsChangeTheOutput()
    {
        Torch.ManualSeed(22);
        using var model = new MobileUNet(TestConfigs.SmallMobile(numClassEmbeds: 10));
        using var noGrad = Torch.NoGrad();
        using var scope = Torch.NewDisposeScope();
        var x = Torch.Randn(2, 1, 28, 28);
        var t = Torch.FromArray(new float[] { 400, 400 });
        var a = model.Forward(x, t, Torch.FromArray(new long[] { 3, 3 }));
        var b = model.Forward(x, t, Torch.FromArray(new long[] { 3, 8 }));
        Assert.True(a[0].Equal(b[0]));
        Assert.False(a[1].AllClose(b[1], 1e-4, 1e-5));
        Assert.Throws<ArgumentException>(() => model.Forward(x, t));
    }

    [Fact]
    public void InvalidConfigNamesTheKey()
    {
        var ex = Assert.Throws<ArgumentException>(() => new MobileUNet(TestConfigs.SmallMobile() with { LayersPerBlock = [1, 1] }));
        Assert.Contains("layers_per_block", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => new MobileUNet(TestConfigs.SmallMobile() with { AttentionLevels = [3] }));
        Assert.Contains("attention_levels", ex.Message);
    }
}
