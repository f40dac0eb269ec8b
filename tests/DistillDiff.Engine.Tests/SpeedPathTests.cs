namespace DistillDiff.Engine.Tests;

using DistillDiff.Engine.Nn;
using F = DistillDiff.Engine.Functional;

/// <summary>Layout and kernel choices that must not change results: channels_last, and fused attention against its fallback.</summary>
public class SpeedPathTests
{
    private static Sequential ConvNet() => new(new Conv2d(3, 16, 3, padding: 1), new GroupNorm(4, 16), new Activation("silu"),
        new Conv2d(16, 16, 3, stride: 2, padding: 1), new Activation("silu"), new Conv2d(16, 3, 3, padding: 1));

    [Fact]
    public void ChannelsLastGivesTheSameOutputsAndGradients()
    {
        using var scope = Torch.NewDisposeScope();
        Torch.ManualSeed(5);
        using var a = ConvNet();
        using var b = ConvNet();
        b.LoadStateDict(a.StateDict());
        var weight = b.NamedParameters().First().Parameter;
        b.ToChannelsLast();
        Assert.Same(weight, b.NamedParameters().First().Parameter);    // converted in place: references stay valid
        Assert.True(weight.IsChannelsLast && !weight.IsContiguous && weight.RequiresGrad && weight.IsLeaf);
        Assert.All(b.Parameters().Where(p => p.Dim == 1), p => Assert.True(p.IsContiguous));

        using var gen = new Generator(6);
        var x = Torch.Randn([4, 3, 12, 12], gen);
        var ya = a.Forward(x);
        var yb = b.Forward(x.ChannelsLast());
        Assert.True(yb.IsChannelsLast);
        Assert.True(ya.AllClose(yb, rtol: 1e-4, atol: 1e-5), $"max difference {(ya - yb).Abs().Max().Item()}");
        ya.Square().Mean().Backward();
        yb.Square().Mean().Backward();
        foreach (var ((name, pa), (_, pb)) in a.NamedParameters().Zip(b.NamedParameters()))
            Assert.True(pa.Grad!.AllClose(pb.Grad!, rtol: 1e-4, atol: 1e-6), $"gradient of {name} differs");
    }

    [Fact]
    public void FusedAttentionMatchesTheFallbackInOutputsAndGradients()
    {
        // On libtorch 2.x the default path is at::scaled_dot_product_attention; on 1.13 both calls take the fallback.
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(8);
        var q = Torch.Randn([2, 4, 64, 32], gen).RequiresGrad_();
        var k = Torch.Randn([2, 4, 64, 32], gen).RequiresGrad_();
        var v = Torch.Randn([2, 4, 64, 32], gen).RequiresGrad_();
        var fused = F.ScaledDotProductAttention(q, k, v);
        var grads = Autograd.Grad([fused.Square().Sum()], [q, k, v]);
        var reference = F.ScaledDotProductAttention(q, k, v, forceReference: true);
        var refGrads = Autograd.Grad([reference.Square().Sum()], [q, k, v]);
        Assert.True(fused.AllClose(reference, rtol: 1e-5, atol: 1e-6), $"max difference {(fused - reference).Abs().Max().Item()}");
        for (var i = 0; i < 3; i++)
            Assert.True(grads[i]!.AllClose(refGrads[i]!, rtol: 1e-4, atol: 1e-5), $"gradient {i}: max difference {(grads[i]! - refGrads[i]!).Abs().Max().Item()}");
    }
}
