namespace DistillDiff.Engine.Nn;

/// <summary>What a state dict did not match: names missing from it, names the module lacks, and shape mismatches.</summary>
public sealed record StateDictLoadResult(IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected, IReadOnlyList<string> Misshapen)
{
    public bool IsExactMatch => Missing.Count == 0 && Unexpected.Count == 0 && Misshapen.Count == 0;

    public override string ToString()
    {
        var parts = new List<string>();
        if (Missing.Count > 0) parts.Add($"missing ({Missing.Count}): {string.Join(", ", Missing.Take(20))}{More(Missing)}");
        if (Unexpected.Count > 0) parts.Add($"unexpected ({Unexpected.Count}): {string.Join(", ", Unexpected.Take(20))}{More(Unexpected)}");
        if (Misshapen.Count > 0) parts.Add($"wrong shape or dtype ({Misshapen.Count}): {string.Join("; ", Misshapen.Take(20))}{More(Misshapen)}");
        return string.Join("\n", parts);
    }

    private static string More(IReadOnlyList<string> l) => l.Count > 20 ? $", ... and {l.Count - 20} more" : "";
}
