namespace DistillDiff.Engine.Tests;

using DistillDiff.Engine.Nn;
using DistillDiff.Engine.Optim;

public class TrainingSmokeTests
{
    private sealed class Mlp : Layer
    {
        private readonly Sequential _net;
        public Mlp() => _net = RegisterModule("net", new Sequential(new Linear(2, 32), new Activation("silu"), new Linear(32, 1)));
        public override Tensor Forward(Tensor x) => _net.Forward(x);
    }

    [Fact]
    public void AdamWFitsALinearFunction()
    {
        Torch.ManualSeed(0);
        using var model = new Mlp();
        using var opt = new AdamW(model.TrainableParameters(), lr: 1e-2, weightDecay: 0);
        using var gen = new Generator(1);
        double first = 0, last = 0;
        for (var i = 0; i < 300; i++)
        {
            using var scope = Torch.NewDisposeScope();
            var x = Torch.Randn([64, 2], gen);
            var y = x.Select(1, 0).Unsqueeze(1) * 3 - x.Select(1, 1).Unsqueeze(1);
            var loss = Functional.MseLoss(model.Forward(x), y);
            opt.ZeroGrad();
            loss.Backward();
            opt.Step();
            if (i == 0) first = loss.Item();
            last = loss.Item();
        }
        Assert.True(last < first * 0.01, $"loss {first} -> {last}");
        Assert.Equal(new[] { "net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias" }, model.NamedParameters().Select(p => p.Name));
    }
}
