namespace DistillDiff.Engine.Tests;

using DistillDiff.Engine.Amp;
using DistillDiff.Engine.Optim;

/// <summary>The fp16 loss scaler's device-independent rules, driven on the CPU with injected inf/nan gradients.</summary>
public class GradScalerTests
{
    private static (Tensor P, Sgd Opt) Setup()
    {
        var p = Torch.FromArray(new float[] { 1, -2, 3 });
        p.RequiresGrad = true;
        return (p, new Sgd([("p", p)], lr: 0.125));
    }

    // loss = sum(p^2) (gradient 2p), or poisoned so one gradient element is inf (or nan).
    private static void Backward(GradScaler scaler, Tensor p, double poison = 0)
    {
        using var scope = Torch.NewDisposeScope();
        var loss = (p * p).Sum();
        if (poison != 0) loss = loss + p.Select(0, 1) * poison;
        scaler.ScaleLoss(loss).Backward();
    }

    private static bool Step(GradScaler scaler, Tensor p, Sgd opt, double poison = 0)
    {
        opt.ZeroGrad();
        Backward(scaler, p, poison);
        var finite = scaler.Unscale([p]);
        if (finite) opt.Step();
        return finite;
    }

    [Fact]
    public void UnscaledGradientsEqualTheTrueOnes()
    {
        var (p, opt) = Setup();
        using (p)
        using (opt)
        {
            var scaler = new GradScaler(initScale: 1024);
            opt.ZeroGrad();
            Backward(scaler, p);
            using (var g = p.Grad!) Assert.Equal(new float[] { 2048, -4096, 6144 }, g.ToArray<float>());
            Assert.True(scaler.Unscale([p]));
            using (var g = p.Grad!) Assert.Equal(new float[] { 2, -4, 6 }, g.ToArray<float>());
        }
    }

    [Fact]
    public void AnOverflowingStepIsSkippedTheScaleBacksOffThenGrowsAgain()
    {
        var (p, opt) = Setup();
        using (p)
        using (opt)
        {
            var scaler = new GradScaler(initScale: 1024, growthFactor: 2, backoffFactor: 0.5, growthInterval: 3);
            Assert.True(Step(scaler, p, opt));                         // p -= 0.125 * 2p: [0.75, -1.5, 2.25]
            Assert.Equal(new float[] { 0.75f, -1.5f, 2.25f }, p.ToArray<float>());
            Assert.Equal(1, scaler.GrowthTracker);

            Assert.False(Step(scaler, p, opt, poison: double.PositiveInfinity));
            Assert.Equal(new float[] { 0.75f, -1.5f, 2.25f }, p.ToArray<float>());   // skipped: weights untouched
            Assert.Equal(512, scaler.Scale);
            Assert.Equal(0, scaler.GrowthTracker);
            Assert.False(Step(scaler, p, opt, poison: double.NaN));
            Assert.Equal(256, scaler.Scale);
            Assert.Equal(2, scaler.SkippedSteps);
            Assert.Equal(new float[] { 0.75f, -1.5f, 2.25f }, p.ToArray<float>());

            // Recovery: finite steps update the weights again; after growth_interval of them the scale doubles.
            Assert.True(Step(scaler, p, opt));
            Assert.Equal(new float[] { 0.5625f, -1.125f, 1.6875f }, p.ToArray<float>());
            Assert.True(Step(scaler, p, opt));
            Assert.Equal(256, scaler.Scale);
            Assert.True(Step(scaler, p, opt));
            Assert.Equal(512, scaler.Scale);
            Assert.Equal(0, scaler.GrowthTracker);
            Assert.Equal(2, scaler.SkippedSteps);
        }
    }

    [Fact]
    public void AScaledFloat16GradientThatOverflowsIsCaughtAndTheSmallerScaleFits()
    {
        // The case the scaler exists for: d(0.5 p^2 × scale)/dp = p × scale in float16 (largest finite value 65504)
        // is inf for p = 1.5 at scale 65536 (98304), and 49152 at the backed-off 32768.
        using var scope = Torch.NewDisposeScope();
        var p = Torch.FromArray(new[] { (Half)1.5 });
        p.RequiresGrad = true;
        var scaler = new GradScaler(initScale: 65536);
        scaler.ScaleLoss((p * p).Sum().Mul(0.5)).Backward();
        Assert.False(scaler.Unscale([p]));
        Assert.Equal(32768, scaler.Scale);
        p.Grad = null;
        scaler.ScaleLoss((p * p).Sum().Mul(0.5)).Backward();
        Assert.True(scaler.Unscale([p]));
        Assert.Equal(1.5, p.Grad!.Item());
    }

    [Fact]
    public void StateRoundTripsAndBadStateIsRefused()
    {
        var scaler = new GradScaler(initScale: 8, growthInterval: 5);
        scaler.Restore(new GradScalerState(128, 3, 7));
        Assert.Equal(new GradScalerState(128, 3, 7), scaler.State);
        var e = Assert.Throws<ArgumentException>(() => scaler.Restore(new GradScalerState(0, 0, 0)));
        Assert.Contains("positive finite", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GradScaler(backoffFactor: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GradScaler(growthInterval: 0));
    }
}
