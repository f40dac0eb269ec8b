namespace DistillDiff.Models.Tests;

using DistillDiff.Engine;
using DistillDiff.Models.UNet2D;

public class UNet2DForwardTests
{
    [Fact]
    public void DdpmCifar10ForwardKeepsTheSampleShape()
    {
        Torch.ManualSeed(0);
        using var model = new UNet2DModel(UNet2DConfig.DdpmCifar10);
        model.Eval();
        using var noGrad = Torch.NoGrad();
        using var scope = Torch.NewDisposeScope();
        var x = Torch.Randn(1, 3, 32, 32);
        var y = model.Forward(x, Torch.FromArray(new float[] { 500 }));
        Assert.Equal(new long[] { 1, 3, 32, 32 }, y.Shape);
        Assert.True(Torch.AllFinite([y]));
    }

    [Fact]
    public void SmallUNetForwardAndBackwardReachEveryParameter()
    {
        Torch.ManualSeed(1);
        using var model = new UNet2DModel(TestConfigs.SmallUNet());
        using var scope = Torch.NewDisposeScope();
        var x = Torch.Randn(2, 3, 16, 16);
        var y = model.Forward(x, Torch.FromArray(new float[] { 10, 900 }));
        Assert.Equal(new long[] { 2, 3, 16, 16 }, y.Shape);
        y.Square().Mean().Backward();
        foreach (var (name, p) in model.NamedParameters())
        {
            using var g = p.Grad;
            Assert.True(g is not null, $"{name} got no gradient");
            Assert.True(g.Abs().Sum().Item() > 0, $"{name} got an all-zero gradient");
        }
    }

    [Fact]
    public void ScalarTimestepIsBroadcastOverTheBatch()
    {
        Torch.ManualSeed(2);
        using var model = new UNet2DModel(TestConfigs.SmallUNet());
        using var noGrad = Torch.NoGrad();
        using var scope = Torch.NewDisposeScope();
        var x = Torch.Randn(2, 3, 16, 16);
        var scalar = model.Forward(x, Torch.Scalar(37));
        var perSample = model.Forward(x, Torch.FromArray(new float[] { 37, 37 }));
        Assert.True(scalar.Equal(perSample));
    }

    [Fact]
    public void ClassLabelsChangeTheOutput()
    {
        Torch.ManualSeed(3);
        using var model = new UNet2DModel(TestConfigs.SmallUNet(numClassEmbeds: 10));
        using var noGrad = Torch.NoGrad();
        using var scope = Torch.NewDisposeScope();
        Assert.Contains("class_embedding.weight", model.StateDict().Keys);
        var x = Torch.Randn(2, 3, 16, 16);
        var t = Torch.FromArray(new float[] { 100, 100 });
        var a = model.Forward(x, t, Torch.FromArray(new long[] { 1, 1 }));
        var b = model.Forward(x, t, Torch.FromArray(new long[] { 1, 7 }));
        Assert.True(a[0].Equal(b[0]));
        Assert.False(a[1].AllClose(b[1], 1e-4, 1e-5));
        var ex = Assert.Throws<ArgumentException>(() => model.Forward(x, t));
        Assert.Contains("class-conditional", ex.Message);
    }

    [Fact]
    public void UnconditionalModelRejectsClassLabels()
    {
        using var model = new UNet2DModel(TestConfigs.SmallUNet());
        using var scope = Torch.NewDisposeScope();
        var ex = Assert.Throws<ArgumentException>(() =>
            model.Forward(Torch.Zeros(1, 3, 16, 16), Torch.Zeros(1), Torch.FromArray(new long[] { 0 })));
        Assert.Contains("unconditional", ex.Message);
    }

    [Theory]
    [InlineData("timestep")]
    [InlineData("identity")]
    public void OtherClassEmbedTypesCondition(string type)
    {
        Torch.ManualSeed(4);
        var config = TestConfigs.SmallUNet() with { ClassEmbedType = type };
        using var model = new UNet2DModel(config);
        using var noGrad = Torch.NoGrad();
        using var scope = Torch.NewDisposeScope();
        var x = Torch.Randn(2, 3, 16, 16);
        var t = Torch.FromArray(new float[] { 5, 5 });
        Tensor Labels(float v) => type == "identity" ? Torch.Full([2, config.TimeEmbedDim()], v) : Torch.Full([2], v);
        var a = model.Forward(x, t, Labels(1));
        var b = model.Forward(x, t, Labels(3));
        Assert.Equal(new long[] { 2, 3, 16, 16 }, a.Shape);
        Assert.False(a.AllClose(b, 1e-4, 1e-5));
        Assert.Equal(type == "timestep", model.StateDict().ContainsKey("class_embedding.linear_1.weight"));
    }

    [Fact]
    public void ScaleShiftVariantDoublesTheTimeProjectionAndDropsMidAttentionNorm()
    {
        Torch.ManualSeed(5);
        var config = TestConfigs.SmallUNet() with { ResnetTimeScaleShift = "scale_shift", MidBlockScaleFactor = 1.414, CenterInputSample = true };
        using var model = new UNet2DModel(config);
        var sd = model.StateDict();
        Assert.Equal(new long[] { 32, 64 }, sd["down_blocks.0.resnets.0.time_emb_proj.weight"].Shape); // 2 x 16 channels from the 64-wide embedding
        Assert.DoesNotContain("mid_block.attentions.0.group_norm.weight", sd.Keys);
        Assert.Contains("down_blocks.1.attentions.0.group_norm.weight", sd.Keys);
        using var scope = Torch.NewDisposeScope();
        var y = model.Forward(Torch.Rand(1, 3, 16, 16), Torch.FromArray(new float[] { 3 }));
        Assert.Equal(new long[] { 1, 3, 16, 16 }, y.Shape);
    }

    [Fact]
    public void MultiHeadAttentionSplitsChannels()
    {
        using var model = new UNet2DModel(TestConfigs.SmallUNet());
        var heads = model.NamedModules().Select(m => m.Module).OfType<Blocks.AttentionBlock2D>().Select(a => a.Heads).Distinct().ToList();
        Assert.Equal([4L], heads); // 32 channels / attention_head_dim 8

        using var oneHead = new UNet2DModel(TestConfigs.SmallUNet() with { AttentionHeadDim = null });
        Assert.All(oneHead.NamedModules().Select(m => m.Module).OfType<Blocks.AttentionBlock2D>(), a => Assert.Equal(1, a.Heads));
    }

    [Fact]
    public void SizeNotDivisibleByTheDownsamplingIsAClearError()
    {
        using var model = new UNet2DModel(TestConfigs.SmallUNet());
        using var scope = Torch.NewDisposeScope();
        var ex = Assert.Throws<ArgumentException>(() => model.Forward(Torch.Zeros(1, 3, 15, 16), Torch.Zeros(1)));
        Assert.Contains("divisible by 2", ex.Message);
    }

    [Fact]
    public void DownsamplePaddingZeroPadsBottomRightAsDiffusers()
    {
        // padding 0: F.pad(x, (0, 1, 0, 1)) then a 3 x 3 stride-2 conv; the result equals a conv with padding 1
        // whose top/left padding row and column are cropped off, i.e. output[i] sees input rows 2i..2i+2.
        Torch.ManualSeed(6);
        using var down = new Blocks.Downsample2D(2, 2, padding: 0);
        using var scope = Torch.NewDisposeScope();
        var x = Torch.Randn(1, 2, 6, 6);
        var y = down.Forward(x);
        Assert.Equal(new long[] { 1, 2, 3, 3 }, y.Shape);
        var w = down.StateDict()["conv.weight"];
        var b = down.StateDict()["conv.bias"];
        var reference = Functional.Conv2d(x, w, b, stride: 2, padding: 1).Slice(2, 0, 3).Slice(3, 0, 3);
        var shifted = Functional.Conv2d(Functional.Pad(x, [1, 1, 1, 1]).Slice(2, 1, 9).Slice(3, 1, 9), w, b, stride: 2);
        Assert.True(y.AllClose(shifted, 1e-5, 1e-6));
        Assert.False(y.AllClose(reference, 1e-3, 1e-3)); // padding 1 on top/left would shift the window
    }
}
