namespace DistillDiff.Engine.Tests.Support;

/// <summary>Tests that read process-wide counters (live tensors, finalized tensors, RSS) run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "serial: process-wide counters";
}
