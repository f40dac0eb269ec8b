namespace DistillDiff.Data.Tests.Metrics;

using DistillDiff.Data.Metrics;
using DistillDiff.Engine;

public class PrecisionRecallTests
{
    [Fact]
    public void OneDimensionalCaseMatchesTheHandValue()
    {
        // k = 1. Real {0, 1, 10}: radii (nearest other real) 1, 1, 9.
        // Generated {0.5, 5, 20, -2}: 0.5 is in B(0, 1); 5 in B(10, 9); 20 is 10 from 10 > 9; -2 is 2, 3, 12 away
        // (> 1, 1, 9). Precision = 2/4.
        // Generated radii: 0.5 → 2.5 (to -2), 5 → 4.5 (to 0.5), 20 → 15 (to 5), -2 → 2.5 (to 0.5).
        // Real 0 and 1 are within 2.5 of 0.5; 10 is 5 > 4.5 from 5 but 10 ≤ 15 from 20. Recall = 3/3.
        using var scope = Torch.NewDisposeScope();
        var real = Torch.FromArray(new double[] { 0, 1, 10 });
        var generated = Torch.FromArray(new double[] { 0.5, 5, 20, -2 });
        var (precision, recall) = PrecisionRecall.Compute(real, generated, k: 1);
        Assert.Equal(0.5, precision, 12);
        Assert.Equal(1.0, recall, 12);
    }

    [Fact]
    public void IdenticalSetsArePerfectAndACollapsedGeneratorHasNoRecall()
    {
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(9);
        var real = Torch.Randn([500, 4], gen);
        Assert.Equal((1.0, 1.0), PrecisionRecall.Compute(real, real));
        // Mode collapse: every generated sample sits near the data mean. They are realistic (inside the real
        // manifold), but their own manifold is tiny and covers almost no real point.
        var collapsed = Torch.Randn([500, 4], gen) * 0.01;
        var (precision, recall) = PrecisionRecall.Compute(real, collapsed);
        Assert.True(precision > 0.95, $"precision {precision}");
        Assert.True(recall < 0.05, $"recall {recall}");
    }

    [Fact]
    public void RejectsTooFewSamplesForK()
    {
        using var scope = Torch.NewDisposeScope();
        var ex = Assert.Throws<ArgumentException>(() => PrecisionRecall.Compute(Torch.Zeros([3, 2]), Torch.Zeros([3, 2]), k: 3));
        Assert.Contains("need more than 3 samples", ex.Message);
    }
}
