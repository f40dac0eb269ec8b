namespace DistillDiff.Engine.Tests;

using System.Net;
using System.Net.Sockets;
using DistillDiff.Engine.Distributed;

/// <summary>
/// c10d collectives over loopback with Gloo, ranks as threads of this process (each with its own TCPStore client
/// and Gloo pairs, as separate processes would have), checked against hand-computed values. The multi-process
/// paths (training, a killed rank) are in DistillDiff.Training.Tests/DistributedTrainingTests.
/// </summary>
public class DistributedTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public void AllReduceSumsAveragesAndTakesExtremes()
    {
        var results = OnRanks(2, pg =>
        {
            using var scope = Torch.NewDisposeScope();
            var r = pg.Rank;
            // Rank 0 holds [1, 10, -3], rank 1 [2, 20, 5]; a second tensor checks that buckets unpack into the right tensors.
            var a = Torch.FromArray(new float[] { 1 + r, 10 * (1 + r), r == 0 ? -3 : 5 }, 3);
            var b = Torch.FromArray(new double[] { 100 * (r + 1) }, 1);
            pg.AllReduce([a, b], ReduceOp.Sum, bucketBytes: 8);   // tiny buckets: a and b travel in separate ones
            var c = Torch.FromArray(new float[] { 1 + r, 10 * (1 + r) }, 2);
            pg.AllReduce(c, ReduceOp.Average);
            var mx = Torch.FromArray(new float[] { r == 0 ? 7 : 3, r == 0 ? -1 : 4 }, 2);
            pg.AllReduce(mx, ReduceOp.Max);
            var mn = Torch.FromArray(new float[] { r == 0 ? 7 : 3, r == 0 ? -1 : 4 }, 2);
            pg.AllReduce(mn, ReduceOp.Min);
            return (a.ToArray<float>(), b.ToArray<double>(), c.ToArray<float>(), mx.ToArray<float>(), mn.ToArray<float>());
        });
        foreach (var (a, b, c, mx, mn) in results)
        {
            Assert.Equal(new float[] { 3, 30, 2 }, a);
            Assert.Equal(new double[] { 300 }, b);
            Assert.Equal(new float[] { 1.5f, 15 }, c);
            Assert.Equal(new float[] { 7, 4 }, mx);
            Assert.Equal(new float[] { 3, -1 }, mn);
        }
    }

    [Fact]
    public void BroadcastCopiesTheRootsTensorsAndAllGatherStacksInRankOrder()
    {
        var results = OnRanks(2, pg =>
        {
            using var scope = Torch.NewDisposeScope();
            var r = pg.Rank;
            var x = Torch.FromArray(new float[] { r, r, r, r }, 2, 2);
            var y = Torch.FromArray(new long[] { 5 + r }, 1);
            pg.Broadcast([x, y], root: 1);
            var g = pg.AllGather(Torch.FromArray(new float[] { r, 10 + r }, 2));
            pg.Barrier();
            return (x.ToArray<float>(), y.ToArray<long>(), g.Shape, g.ToArray<float>());
        });
        foreach (var (x, y, shape, g) in results)
        {
            Assert.Equal(new float[] { 1, 1, 1, 1 }, x);
            Assert.Equal(new long[] { 6 }, y);
            Assert.Equal(new long[] { 2, 2 }, shape);
            Assert.Equal(new float[] { 0, 10, 1, 11 }, g);
        }
    }

    [Fact]
    public void AverageGradientsAveragesTheGradientsThatExistAndSkipsTheOthers()
    {
        var results = OnRanks(2, pg =>
        {
            using var scope = Torch.NewDisposeScope();
            var r = pg.Rank;
            var w = Torch.FromArray(new float[] { 1, 2 }, 2).RequiresGrad_();
            var unused = Torch.FromArray(new float[] { 3 }, 1).RequiresGrad_();
            // d/dw sum((r + 1) * w^2) = 2 (r + 1) w: [2, 4] on rank 0, [4, 8] on rank 1, averaged [3, 6].
            ((w * w) * (r + 1.0)).Sum().Backward();
            pg.AverageGradients([w, unused]);
            return (w.Grad!.ToArray<float>(), unused.Grad is null);
        });
        foreach (var (grad, noGrad) in results)
        {
            Assert.Equal(new float[] { 3, 6 }, grad);
            Assert.True(noGrad);
        }
    }

    [Fact]
    public void ACollectiveWithARankGoneFailsNamingThatRank()
    {
        var port = FreePort();
        var errors = new Exception?[2];
        var rank1Gone = new ManualResetEventSlim();
        var threads = Enumerable.Range(0, 2).Select(rank => new Thread(() =>
        {
            try
            {
                using var pg = ProcessGroup.Init("gloo", "127.0.0.1", port, rank, 2, TimeSpan.FromSeconds(10));
                using var scope = Torch.NewDisposeScope();
                pg.AllReduce(Torch.Ones([4]));   // both alive: fine
                if (rank == 1)
                {
                    pg.Dispose();   // closes its store client and Gloo pairs, as a killed process would
                    rank1Gone.Set();
                    return;
                }
                rank1Gone.Wait();
                pg.AllReduce(Torch.Ones([4]));
            }
            catch (Exception e)
            {
                errors[rank] = e;
            }
        })).ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => Assert.True(t.Join(Timeout), "a rank did not finish"));
        Assert.Null(errors[1]);
        var e0 = Assert.IsType<TorchException>(errors[0]);
        Assert.Contains("all_reduce failed on rank 0 of 2", e0.Message);
        Assert.Contains("rank 1 does not answer", e0.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
    }

    [Fact]
    public void RendezvousWithoutThePeersTimesOutWithAMessage()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<TorchException>(() => ProcessGroup.Init("gloo", "127.0.0.1", FreePort(), 0, 2, TimeSpan.FromSeconds(1)));
        Assert.Contains("rendezvous of rank 0 of 2", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public void BadArgumentsAreRefusedWithTheirName()
    {
        Assert.Contains("rank 2 is outside a world of size 2",
            Assert.Throws<TorchException>(() => ProcessGroup.Init("gloo", "127.0.0.1", 29500, 2, 2, Timeout)).Message);
        Assert.Contains("unknown distributed backend 'mpi'",
            Assert.Throws<TorchException>(() => ProcessGroup.Init("mpi", "127.0.0.1", FreePort(), 0, 1, Timeout)).Message);
    }

    /// <summary>Runs <paramref name="body"/> on <paramref name="world"/> ranks (threads) of one group; returns each rank's result.</summary>
    private static T[] OnRanks<T>(int world, Func<ProcessGroup, T> body)
    {
        var port = FreePort();
        var results = new T[world];
        var errors = new Exception?[world];
        var threads = Enumerable.Range(0, world).Select(rank => new Thread(() =>
        {
            try
            {
                using var pg = ProcessGroup.Init("gloo", "127.0.0.1", port, rank, world, Timeout);
                Assert.Equal(rank, pg.Rank);
                Assert.Equal(world, pg.WorldSize);
                results[rank] = body(pg);
            }
            catch (Exception e)
            {
                errors[rank] = e;
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => Assert.True(t.Join(Timeout + Timeout), "a rank did not finish"));
        foreach (var e in errors)
            if (e != null) throw new Xunit.Sdk.XunitException($"a rank failed: {e}");
        return results;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
