namespace DistillDiff.Engine.Tests.Support;

internal static class ProcessMemory
{
    /// <summary>Resident set size of this process in bytes, from /proc/self/status (VmRSS, in kB).</summary>
    public static long ResidentBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        throw new InvalidOperationException("VmRSS not found in /proc/self/status");
    }

    /// <summary>Runs pending finalizers so that counts read afterwards are settled.</summary>
    public static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
