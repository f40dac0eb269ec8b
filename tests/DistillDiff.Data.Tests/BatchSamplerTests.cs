namespace DistillDiff.Data.Tests;

public class BatchSamplerTests
{
    private static List<long[]> Take(BatchSampler s, int batches) => Enumerable.Range(0, batches).Select(_ => s.Next()).ToList();

    [Fact]
    public void EveryEpochIsAPermutationInANewOrder()
    {
        var s = new BatchSampler(10, 3, seed: 5, dropLast: false);
        Assert.Equal(4, s.BatchesPerEpoch);
        var epoch0 = Take(s, 4);
        Assert.Equal(new[] { 3, 3, 3, 1 }, epoch0.Select(b => b.Length));
        Assert.Equal(new SamplerState(1, 0), s.State);
        var epoch1 = Take(s, 4);
        var flat0 = epoch0.SelectMany(b => b).ToArray();
        var flat1 = epoch1.SelectMany(b => b).ToArray();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), flat0.Order());
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), flat1.Order());
        Assert.NotEqual(flat0, flat1);
        Assert.Equal(flat0, s.Permutation(0));
    }

    [Fact]
    public void DropLastGivesOnlyFullBatches()
    {
        var s = new BatchSampler(10, 4, seed: 1);
        Assert.Equal(2, s.BatchesPerEpoch);
        var batches = Take(s, 6);
        Assert.All(batches, b => Assert.Equal(4, b.Length));
        Assert.Equal(new SamplerState(3, 0), s.State);
        // The two batches of an epoch are disjoint and come from that epoch's permutation.
        Assert.Equal(new BatchSampler(10, 4, 1).Permutation(1)[..8], batches[2].Concat(batches[3]));
    }

    [Fact]
    public void SameSeedSameOrderOtherSeedOtherOrder()
    {
        var a = Take(new BatchSampler(1000, 32, 11), 40).SelectMany(b => b);
        var b = Take(new BatchSampler(1000, 32, 11), 40).SelectMany(b => b);
        var c = Take(new BatchSampler(1000, 32, 12), 40).SelectMany(b => b);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Theory]
    [InlineData(true, 5)]   // mid-epoch (7 full batches of 13 per epoch)
    [InlineData(true, 6)]   // the last batch of epoch 0 comes next, then the restored sampler crosses the boundary
    [InlineData(true, 7)]   // exactly at the start of epoch 1
    [InlineData(false, 7)]  // the short last batch (9 indices) comes next
    [InlineData(false, 8)]  // exactly at the start of epoch 1
    public void RestoredSamplerContinuesExactly(bool dropLast, int consumed)
    {
        var original = new BatchSampler(100, 13, seed: 2024, dropLast);
        Take(original, consumed);
        var saved = original.State;
        var expected = Take(original, 30);

        var restored = new BatchSampler(100, 13, seed: 2024, dropLast);
        restored.Restore(saved);
        Assert.Equal(saved, restored.State);
        Assert.Equal(expected, Take(restored, 30));
        Assert.Equal(original.State, restored.State);
    }

    [Fact]
    public void RestoreRefusesStatesThisSamplerCannotReach()
    {
        var s = new BatchSampler(100, 13, seed: 0);
        Assert.Throws<ArgumentException>(() => s.Restore(new SamplerState(-1, 0)));
        Assert.Throws<ArgumentException>(() => s.Restore(new SamplerState(0, 100)));
        Assert.Throws<ArgumentException>(() => s.Restore(new SamplerState(0, 95))); // fewer than 13 left with dropLast
        s.Restore(new SamplerState(4, 87));
        Assert.Equal(13, s.Next().Length);
        Assert.Equal(new SamplerState(5, 0), s.State);
    }

    [Fact]
    public void RejectsBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchSampler(0, 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchSampler(10, 0, 0));
        var e = Assert.Throws<ArgumentException>(() => new BatchSampler(10, 11, 0));
        Assert.Contains("dropLast", e.Message);
        Assert.Equal(10, new BatchSampler(10, 11, 0, dropLast: false).Next().Length);
    }

    [Fact]
    public void ShardsOfAGlobalBatchAreDisjointContiguousBlocksThatRebuildIt()
    {
        var global = new BatchSampler(100, 12, seed: 5).Next();
        var shards = Enumerable.Range(0, 3).Select(r => BatchSampler.Shard(global, r, 3)).ToList();
        Assert.All(shards, s => Assert.Equal(4, s.Length));
        Assert.Equal(global, shards.SelectMany(s => s));          // rank order rebuilds the global batch
        Assert.Equal(global[4..8], shards[1]);
        Assert.Equal(12, shards.SelectMany(s => s).Distinct().Count());
        Assert.Equal(global, BatchSampler.Shard(global, 0, 1));
        Assert.Contains("does not split evenly over 5 ranks", Assert.Throws<ArgumentException>(() => BatchSampler.Shard(global, 0, 5)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchSampler.Shard(global, 3, 3));
    }
}
