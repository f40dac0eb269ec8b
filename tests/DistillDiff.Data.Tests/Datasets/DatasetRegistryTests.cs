namespace DistillDiff.Data.Tests.Datasets;

using DistillDiff.Data.Datasets;
using DistillDiff.Engine;

public class DatasetRegistryTests
{
    private readonly DatasetRegistry _registry = DatasetRegistry.CreateBuiltIn();

    [Fact]
    public void KnowsTheBuiltInDatasets()
    {
        Assert.Equal(new[] { "fashion_mnist", "toy2d" }, _registry.Names);
        Assert.True(DatasetRegistry.Default.Contains("toy2d"));
    }

    [Fact]
    public void BuildsAToySetFromItsKeys()
    {
        var d = _registry.Create(new DataConfig { Type = "toy2d", Kind = "swiss_roll", Count = 300, Seed = 9, Noise = 0 });
        var toy = Assert.IsType<Toy2DDataset>(d);
        Assert.Equal(300, toy.Count);
        Assert.Equal(0, toy.Noise);
        Assert.Equal("toy2d/swiss_roll", toy.Name);
        using var scope = Torch.NewDisposeScope();
        Assert.True(toy.All(Device.CPU).Equal(new Toy2DDataset("swiss_roll", 300, 9, 0).All(Device.CPU)));
    }

    [Fact]
    public void ToyDefaults()
    {
        var d = (Toy2DDataset)_registry.Create(new DataConfig { Type = "toy2d", Kind = "gaussian_mixture" });
        Assert.Equal(DataConfig.DefaultToyCount, d.Count);
        Assert.Equal(0.1, d.Noise);
    }

    [Fact]
    public void BuildsFashionMnistFromItsKeys()
    {
        var d = _registry.Create(new DataConfig { Type = "fashion_mnist", Path = FashionMnistDataset.DefaultDirectory, Split = "test", Limit = 50 });
        Assert.Equal("fashion_mnist/test", d.Name);
        Assert.Equal(50, d.Count);
    }

    [Fact]
    public void UnknownTypeListsTheRegisteredNames()
    {
        var e = Assert.Throws<ArgumentException>(() => _registry.Create(new DataConfig { Type = "cifar10" }));
        Assert.Contains("'cifar10'", e.Message);
        Assert.Contains("fashion_mnist, toy2d", e.Message);
        Assert.Contains("data.type", e.Message);
    }

    [Fact]
    public void ToyNeedsAKind()
    {
        var e = Assert.Throws<ArgumentException>(() => _registry.Create(new DataConfig { Type = "toy2d" }));
        Assert.Contains("data.kind", e.Message);
        Assert.Contains("two_moons", e.Message);
    }

    [Fact]
    public void KeysOfAnotherTypeAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => _registry.Create(new DataConfig { Type = "toy2d", Kind = "two_moons", Path = "/data", Limit = 5 }));
        Assert.Contains("'data.path', 'data.limit' do not apply to dataset type toy2d", e.Message);
        e = Assert.Throws<ArgumentException>(() => _registry.Create(new DataConfig { Type = "fashion_mnist", Seed = 1 }));
        Assert.Contains("'data.seed' does not apply to dataset type fashion_mnist", e.Message);
    }

    [Fact]
    public void BadSplitIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => _registry.Create(new DataConfig { Type = "fashion_mnist", Split = "val" }));
        Assert.Contains("'val' (expected train or test)", e.Message);
    }

    [Fact]
    public void CustomDatasetsPlugInOnceEach()
    {
        _registry.Register("tiny", c => new Toy2DDataset("checkerboard", c.Count ?? 4, 0));
        Assert.Equal(7, _registry.Create(new DataConfig { Type = "tiny", Count = 7 }).Count);
        Assert.Throws<ArgumentException>(() => _registry.Register("tiny", c => new Toy2DDataset("checkerboard", 4, 0)));
        Assert.False(DatasetRegistry.Default.Contains("tiny"));
    }
}
