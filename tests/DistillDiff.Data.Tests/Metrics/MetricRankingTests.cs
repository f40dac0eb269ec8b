namespace DistillDiff.Data.Tests.Metrics;

using DistillDiff.Data.Datasets;
using DistillDiff.Data.Metrics;
using DistillDiff.Data.Tests.Datasets;
using DistillDiff.Engine;
using F = DistillDiff.Engine.Functional;

/// <summary>The property users rely on: a degraded sample set scores farther from the data than a fresh draw.</summary>
public class MetricRankingTests(FashionMnistFixture fixture, ITestOutputHelper output) : IClassFixture<FashionMnistFixture>
{

    private static long[] Range(long start, long count) => Enumerable.Range(0, (int)count).Select(i => start + i).ToArray();

    [Fact]
    public void ToyMetricsRankDegradedSetsBelowAFreshDraw()
    {
        using var scope = Torch.NewDisposeScope();
        const long n = 2000;
        var data = new Toy2DDataset("gaussian_mixture", n, seed: 1).All(Device.CPU);
        var fresh = new Toy2DDataset("gaussian_mixture", n, seed: 2).All(Device.CPU);
        var shifted = fresh + Torch.FromArray(new float[] { 0.3f, 0 });
        var blurred = new Toy2DDataset("gaussian_mixture", n, seed: 2, noise: 0.6).All(Device.CPU);

        foreach (var (name, metric) in Metrics(projections: 256))
        {
            var dFresh = metric(data, fresh);
            var dShifted = metric(data, shifted);
            var dBlurred = metric(data, blurred);
            output.WriteLine($"{name}: fresh {dFresh:G4}, shifted {dShifted:G4}, blurred {dBlurred:G4}");
            Assert.True(dFresh < dShifted, $"{name}: fresh {dFresh} vs shifted {dShifted}");
            Assert.True(dFresh < dBlurred, $"{name}: fresh {dFresh} vs blurred {dBlurred}");
        }
    }

    [Fact]
    public void ImageMetricsRankDegradedSetsBelowAFreshDraw()
    {
        using var scope = Torch.NewDisposeScope();
        const long n = 300;
        var data = fixture.Test.GetBatch(Range(0, n), Device.CPU).X;
        var fresh = fixture.Test.GetBatch(Range(n, n), Device.CPU).X;
        var blurred = F.AvgPool2d(fresh, 3, stride: 1, padding: 1);
        var brighter = (fresh + 0.2).Clamp(-1, 1);

        foreach (var (name, metric) in Metrics(projections: 128))
        {
            var dFresh = metric(data, fresh);
            var dBlurred = metric(data, blurred);
            var dBrighter = metric(data, brighter);
            output.WriteLine($"{name}: fresh {dFresh:G4}, blurred {dBlurred:G4}, brighter {dBrighter:G4}");
            Assert.True(dFresh < dBlurred, $"{name}: fresh {dFresh} vs blurred {dBlurred}");
            Assert.True(dFresh < dBrighter, $"{name}: fresh {dFresh} vs brighter {dBrighter}");
        }
    }

    private static IEnumerable<(string Name, Func<Tensor, Tensor, double> Metric)> Metrics(int projections)
    {
        yield return ("sliced W2", (a, b) =>
        {
            using var gen = new Generator(0);
            return SlicedWasserstein.Distance(a, b, projections, gen);
        });
        yield return ("energy", EnergyDistance.Compute);
        yield return ("frechet", (a, b) => a.Dim == 4
            ? FrechetDistance.Compute(ImageFeatures.Pooled(a), ImageFeatures.Pooled(b))
            : FrechetDistance.Compute(a, b));
    }
}
