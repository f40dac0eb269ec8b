namespace DistillDiff.Diffusion.Tests.Support;

/// <summary>Tests that count live native tensors run alone: the count is process-wide.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NativeCountsCollection
{
    public const string Name = "native tensor counts";
}
