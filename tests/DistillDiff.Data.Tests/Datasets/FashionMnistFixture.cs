namespace DistillDiff.Data.Tests.Datasets;

using DistillDiff.Data.Datasets;

/// <summary>The installed test split, read once for all tests of a class.</summary>
public sealed class FashionMnistFixture
{
    public FashionMnistDataset Test { get; } = new(train: false);
}
