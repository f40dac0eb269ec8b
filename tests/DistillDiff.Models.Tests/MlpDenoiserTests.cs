namespace DistillDiff.Models.Tests;

using DistillDiff.Engine;
using DistillDiff.Models.Mlp;

public class MlpDenoiserTests
{
    [Fact]
    public void ForwardAndBackwardOnToyData()
    {
        Torch.ManualSeed(31);
        using var model = new MlpDenoiser(TestConfigs.SmallMlp());
        using var scope = Torch.NewDisposeScope();
        var y = model.Forward(Torch.Randn(16, 2), Torch.Rand([16]) * 999);
        Assert.Equal(new long[] { 16, 2 }, y.Shape);
        y.Square().Mean().Backward();
        foreach (var (name, p) in model.NamedParameters())
        {
            using var g = p.Grad;
            Assert.True(g is not null && g.Abs().Sum().Item() > 0, $"{name} got no gradient");
        }
        Assert.Contains("blocks.1.norm.weight", model.StateDict().Keys);
        Assert.Contains("time_embedding.linear_2.weight", model.StateDict().Keys);
    }

    [Fact]
    public void BothParameterisationDoublesTheOutputAndNormCanBeOff()
    {
        using var model = new MlpDenoiser(TestConfigs.SmallMlp() with { DataDim = 3, OutDim = 6, Norm = "none" });
        using var noGrad = Torch.NoGrad();
        using var scope = Torch.NewDisposeScope();
        Assert.Equal((3, 6), (model.SampleChannels, model.OutChannels));
        Assert.Equal(new long[] { 4, 6 }, model.Forward(Torch.Randn(4, 3), Torch.Zeros(4)).Shape);
        Assert.DoesNotContain(model.StateDict().Keys, k => k.Contains("norm", StringComparison.Ordinal));
    }

    [Fact]
    public void TimestepAndClassLabelsChangeTheOutput()
    {
        Torch.ManualSeed(32);
        using var model = new MlpDenoiser(TestConfigs.SmallMlp(numClassEmbeds: 3));
        using var noGrad = Torch.NoGrad();
        using var scope = Torch.NewDisposeScope();
        var x = Torch.Randn(2, 2);
        var t = Torch.FromArray(new float[] { 10, 10 });
        var a = model.Forward(x, t, Torch.FromArray(new long[] { 0, 0 }));
        var b = model.Forward(x, t, Torch.FromArray(new long[] { 0, 2 }));
        var c = model.Forward(x, Torch.FromArray(new float[] { 10, 500 }), Torch.FromArray(new long[] { 0, 0 }));
        Assert.True(a[0].Equal(b[0]));
        Assert.False(a[1].AllClose(b[1], 1e-4, 1e-5));
        Assert.False(a[1].AllClose(c[1], 1e-4, 1e-5));
    }
}
