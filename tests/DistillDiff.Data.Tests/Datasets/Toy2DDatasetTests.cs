namespace DistillDiff.Data.Tests.Datasets;

using DistillDiff.Data.Datasets;
using DistillDiff.Engine;

public class Toy2DDatasetTests
{
    public static TheoryData<string> Kinds => new(Toy2DDataset.Kinds);

    private static float[] Points(Toy2DDataset d)
    {
        using var scope = Torch.NewDisposeScope();
        return d.All(Device.CPU).ToArray<float>();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SameSeedSamePointsOtherSeedOtherPoints(string kind)
    {
        var a = Points(new Toy2DDataset(kind, 500, seed: 3));
        var b = Points(new Toy2DDataset(kind, 500, seed: 3));
        var c = Points(new Toy2DDataset(kind, 500, seed: 4));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Theory]
    [InlineData("gaussian_mixture", 1.30, 1.55)] // radius-2 ring: per-coordinate RMS √(2 + 0.1²) ≈ 1.42
    [InlineData("two_moons", 0.95, 1.05)]
    [InlineData("checkerboard", 0.95, 1.05)]
    [InlineData("swiss_roll", 0.95, 1.05)]
    public void IsCentredWithRoughlyUnitScale(string kind, double minRms, double maxRms)
    {
        var p = Points(new Toy2DDataset(kind, 20_000, seed: 1));
        var n = p.Length / 2;
        var meanX = Enumerable.Range(0, n).Average(i => (double)p[2 * i]);
        var meanY = Enumerable.Range(0, n).Average(i => (double)p[2 * i + 1]);
        var rms = Math.Sqrt(p.Average(v => (double)v * v));
        Assert.InRange(meanX, -0.05, 0.05);
        Assert.InRange(meanY, -0.05, 0.05);
        Assert.InRange(rms, minRms, maxRms);
    }

    [Fact]
    public void MixtureLabelsNameTheComponentOnTheRadiusTwoCircle()
    {
        var d = new Toy2DDataset("gaussian_mixture", 2_000, seed: 8, noise: 0.05);
        Assert.Equal(8, d.NumClasses);
        using var scope = Torch.NewDisposeScope();
        var batch = d.GetBatch(Enumerable.Range(0, 2_000).Select(i => (long)i).ToArray(), Device.CPU);
        var x = batch.X.ToArray<float>();
        var labels = batch.Labels!.ToArray<long>();
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (long)i), labels.Distinct().Order());
        for (var i = 0; i < labels.Length; i++)
        {
            var angle = 2 * Math.PI * labels[i] / 8;
            var dx = x[2 * i] - 2 * Math.Cos(angle);
            var dy = x[2 * i + 1] - 2 * Math.Sin(angle);
            Assert.True(dx * dx + dy * dy < 0.3 * 0.3, $"point {i} is far from component {labels[i]}");
        }
    }

    [Fact]
    public void MoonLabelsSplitUpperAndLowerMoon()
    {
        var d = new Toy2DDataset("two_moons", 2_000, seed: 2, noise: 0);
        Assert.Equal(2, d.NumClasses);
        using var scope = Torch.NewDisposeScope();
        var batch = d.GetBatch(Enumerable.Range(0, 2_000).Select(i => (long)i).ToArray(), Device.CPU);
        var x = batch.X.ToArray<float>();
        var labels = batch.Labels!.ToArray<long>();
        var scale = Math.Sqrt(2 / (1.25 - 4 / (Math.PI * Math.PI) + Math.Pow(2 / Math.PI - 0.25, 2)));
        for (var i = 0; i < labels.Length; i++)
        {
            // Undo the scaling: the upper moon is the unit circle's top half, the lower one its mirror shifted to (1, 1/2).
            var u = x[2 * i] / scale + 0.5;
            var v = x[2 * i + 1] / scale + 0.25;
            var (cx, cy) = labels[i] == 0 ? (0.0, 0.0) : (1.0, 0.5);
            Assert.Equal(1.0, Math.Sqrt((u - cx) * (u - cx) + (v - cy) * (v - cy)), 4);
        }
        Assert.InRange(labels.Count(l => l == 1), 900, 1100);
    }

    [Fact]
    public void CheckerboardFillsOnlyTheDarkSquares()
    {
        var p = Points(new Toy2DDataset("checkerboard", 5_000, seed: 6));
        var side = 2 * Math.Sqrt(3) / 4;
        var cells = new HashSet<(int, int)>();
        for (var i = 0; i < p.Length / 2; i++)
        {
            var col = (int)Math.Floor((p[2 * i] + Math.Sqrt(3)) / side);
            var row = (int)Math.Floor((p[2 * i + 1] + Math.Sqrt(3)) / side);
            Assert.InRange(col, 0, 3);
            Assert.InRange(row, 0, 3);
            Assert.Equal(0, (row + col) % 2);
            cells.Add((row, col));
        }
        Assert.Equal(8, cells.Count);
    }

    [Fact]
    public void UnlabelledKindsHaveNoLabels()
    {
        using var scope = Torch.NewDisposeScope();
        foreach (var kind in new[] { "checkerboard", "swiss_roll" })
        {
            var d = new Toy2DDataset(kind, 10, seed: 0);
            Assert.Equal(0, d.NumClasses);
            Assert.Equal(new long[] { 2 }, d.SampleShape);
            var batch = d.GetBatch([9, 0, 9], Device.CPU);
            Assert.Equal(new long[] { 3, 2 }, batch.X.Shape);
            Assert.Null(batch.Labels);
        }
    }

    [Fact]
    public void PointsArePinnedAcrossMachinesAndVersions()
    {
        // Guards the generator: a change here silently changes every toy experiment. Values from this implementation.
        var p = Points(new Toy2DDataset("two_moons", 2, seed: 0));
        Assert.Equal(PinnedTwoMoons, p);
    }

    private static readonly float[] PinnedTwoMoons = [0.558851421f, -1.00072241f, -0.278296143f, -0.724635124f];

    [Fact]
    public void UnknownKindListsTheKinds()
    {
        var e = Assert.Throws<ArgumentException>(() => new Toy2DDataset("spirals", 10, 0));
        Assert.Contains("'spirals'", e.Message);
        foreach (var kind in Toy2DDataset.Kinds) Assert.Contains(kind, e.Message);
    }

    [Fact]
    public void RejectsBadSizesAndNoise()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Toy2DDataset("two_moons", 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Toy2DDataset("two_moons", 10, 0, noise: -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Toy2DDataset("two_moons", 10, 0, noise: double.NaN));
        using var scope = Torch.NewDisposeScope();
        Assert.Throws<ArgumentOutOfRangeException>(() => new Toy2DDataset("two_moons", 10, 0).GetBatch([10], Device.CPU));
    }
}
