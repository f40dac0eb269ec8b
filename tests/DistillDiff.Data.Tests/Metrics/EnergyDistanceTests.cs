namespace DistillDiff.Data.Tests.Metrics;

using DistillDiff.Data.Metrics;
using DistillDiff.Engine;

public class EnergyDistanceTests
{
    [Fact]
    public void HandComputedCases()
    {
        using var scope = Torch.NewDisposeScope();
        // {0} vs {1}: 2·1 - 0 - 0.
        Assert.Equal(2, EnergyDistance.Compute(Torch.FromArray(new float[] { 0 }, 1, 1), Torch.FromArray(new float[] { 1 }, 1, 1)), 12);
        // {0, 2} vs {1}: cross mean 1, within-a mean (0 + 2 + 2 + 0)/4 = 1, within-b 0 → 2 - 1 - 0 = 1.
        Assert.Equal(1, EnergyDistance.Compute(Torch.FromArray(new float[] { 0, 2 }, 2, 1), Torch.FromArray(new float[] { 1 }, 1, 1)), 12);
        // 2-d point masses 5 apart: 2·5.
        var a = Torch.Zeros([3, 2]);
        var b = Torch.FromArray(new float[] { 3, 4 }, 1, 2).Expand(2, 2);
        Assert.Equal(10, EnergyDistance.Compute(a, b), 10);
    }

    [Fact]
    public void IdenticalSetsAreZeroAndOrderDoesNotMatter()
    {
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(4);
        var x = Torch.Randn([300, 8], gen);
        Assert.Equal(0, EnergyDistance.Compute(x, x.Flip(0)), 6);
        var y = Torch.Randn([200, 8], gen);
        Assert.Equal(EnergyDistance.Compute(x, y), EnergyDistance.Compute(y, x), 9);
    }

    [Fact]
    public void BlocksGiveTheSameAnswerAsOneShot()
    {
        // More rows than one block (1024) exercises the blocked sum.
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(5);
        var x = Torch.Randn([1100, 2], gen);
        var y = Torch.Randn([40, 2], gen) + 1;
        var e = EnergyDistance.Compute(x, y);
        var (x2, y2) = (x.Double(), y.Double());
        double Mean(Tensor p, Tensor q) => (p.Unsqueeze(1) - q.Unsqueeze(0)).Norm(2, [2]).Mean().Item();
        Assert.Equal(2 * Mean(x2, y2) - Mean(x2, x2) - Mean(y2, y2), e, 9);
    }
}
