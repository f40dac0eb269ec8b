namespace DistillDiff.Data.Tests;

public class Xoshiro256StarStarTests
{
    [Fact]
    public void SplitMix64MatchesTheReferenceOutputs()
    {
        // Reference splitmix64.c (Vigna) seeded with 0.
        var state = 0UL;
        Assert.Equal(0xE220A8397B1DCDAFUL, Xoshiro256StarStar.SplitMix64Next(ref state));
        Assert.Equal(0x6E789E6AA1B965F4UL, Xoshiro256StarStar.SplitMix64Next(ref state));
        Assert.Equal(0x06C45D188009454FUL, Xoshiro256StarStar.SplitMix64Next(ref state));
    }

    [Fact]
    public void SameSeedAndStreamGiveTheSameSequence()
    {
        var a = new Xoshiro256StarStar(42, 3);
        var b = new Xoshiro256StarStar(42, 3);
        var c = new Xoshiro256StarStar(42, 4);
        var xs = Enumerable.Range(0, 8).Select(_ => a.NextUInt64()).ToArray();
        Assert.Equal(xs, Enumerable.Range(0, 8).Select(_ => b.NextUInt64()));
        Assert.NotEqual(xs, Enumerable.Range(0, 8).Select(_ => c.NextUInt64()));
    }

    [Fact]
    public void NextBelowStaysInRangeAndCoversIt()
    {
        var rng = new Xoshiro256StarStar(7);
        var counts = new int[6];
        for (var i = 0; i < 60_000; i++) counts[rng.NextBelow(6)]++;
        Assert.All(counts, c => Assert.InRange(c, 9_500, 10_500));
        Assert.Throws<ArgumentOutOfRangeException>(() => rng.NextBelow(0));
    }

    [Fact]
    public void UniformAndGaussianHaveTheRightMoments()
    {
        var rng = new Xoshiro256StarStar(1);
        const int n = 100_000;
        double su = 0, sg = 0, sg2 = 0;
        for (var i = 0; i < n; i++)
        {
            var u = rng.NextDouble();
            Assert.InRange(u, 0, 1 - 1e-17);
            su += u;
            var g = rng.NextGaussian();
            sg += g;
            sg2 += g * g;
        }
        Assert.Equal(0.5, su / n, 0.01);
        Assert.Equal(0, sg / n, 0.02);
        Assert.Equal(1, sg2 / n, 0.02);
    }

    [Fact]
    public void ShuffleIsAPermutation()
    {
        var items = Enumerable.Range(0, 1000).ToArray();
        new Xoshiro256StarStar(9).Shuffle(items.AsSpan());
        Assert.NotEqual(Enumerable.Range(0, 1000), items);
        Assert.Equal(Enumerable.Range(0, 1000), items.Order());
    }
}
