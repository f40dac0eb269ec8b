namespace DistillDiff.Training.Checkpoints;

/// <summary>
/// Resumable state as numbered folders under run/state: each checkpoint is written into a temporary folder, flushed,
/// renamed into place, and only then named in the "latest" file (itself replaced by rename). A kill at any moment
/// leaves the previous checkpoint whole and named; older checkpoints beyond <see cref="Keep"/> are removed after.
/// </summary>
public sealed class CheckpointStore
{
    private const string LatestFile = "latest";

    public CheckpointStore(string directory, int keep = 2)
    {
        Directory = directory;
        Keep = Math.Max(keep, 1);
        System.IO.Directory.CreateDirectory(directory);
    }

    public string Directory { get; }

    public int Keep { get; }

    /// <summary>Writes a checkpoint: <paramref name="write"/> fills the given (temporary) folder.</summary>
    public string Save(long globalStep, Action<string> write)
    {
        // A folder that "latest" may name is never deleted or overwritten: a second checkpoint at the same step (the
        // end of a phase, then its completion) gets a new name, step-N-1, which sorts after step-N and before step-N+1.
        var name = $"step-{globalStep:D9}";
        for (var k = 1; System.IO.Directory.Exists(Path.Combine(Directory, name)); k++) name = $"step-{globalStep:D9}-{k}";
        var final = Path.Combine(Directory, name);
        var tmp = Path.Combine(Directory, $".{name}.tmp-{Environment.ProcessId}");
        if (System.IO.Directory.Exists(tmp)) System.IO.Directory.Delete(tmp, true);
        System.IO.Directory.CreateDirectory(tmp);
        try
        {
            write(tmp);
            foreach (var f in System.IO.Directory.GetFiles(tmp))
                using (var fs = new FileStream(f, FileMode.Open, FileAccess.ReadWrite)) fs.Flush(true);
            System.IO.Directory.Move(tmp, final);
        }
        catch
        {
            if (System.IO.Directory.Exists(tmp)) System.IO.Directory.Delete(tmp, true);
            throw;
        }
        var latestTmp = Path.Combine(Directory, $".{LatestFile}.tmp-{Environment.ProcessId}");
        File.WriteAllText(latestTmp, name + "\n");
        File.Move(latestTmp, Path.Combine(Directory, LatestFile), overwrite: true);
        Prune(name);
        return final;
    }

    /// <summary>The folder of the newest complete checkpoint, or null when none was written.</summary>
    public string? Latest()
    {
        var pointer = Path.Combine(Directory, LatestFile);
        if (!File.Exists(pointer)) return null;
        var name = File.ReadAllText(pointer).Trim();
        var dir = Path.Combine(Directory, name);
        return System.IO.Directory.Exists(dir)
            ? dir
            : throw new InvalidDataException($"{pointer} names checkpoint '{name}', which is missing from {Directory}");
    }

    /// <summary>
    /// The newest checkpoint that passes <paramref name="problemOf"/> (null: intact; otherwise what is wrong), or null
    /// when there is none at all. The one "latest" names is tried first; when it is damaged, or "latest" is missing or
    /// names nothing, the older ones are tried newest first, each rejection reported through <paramref name="warn"/>,
    /// damaged folders are renamed to damaged-step-... (kept for inspection, out of the way of pruning and later
    /// fallbacks) and "latest" is rewritten to name the one chosen. Checkpoints exist but none is intact: throws, so
    /// a run never silently starts over.
    /// </summary>
    public string? LatestIntact(Func<string, string?> problemOf, Action<string> warn)
    {
        ArgumentNullException.ThrowIfNull(problemOf);
        ArgumentNullException.ThrowIfNull(warn);
        var pointer = Path.Combine(Directory, LatestFile);
        var named = File.Exists(pointer) ? File.ReadAllText(pointer).Trim() : null;
        var all = System.IO.Directory.GetDirectories(Directory, "step-*").Select(Path.GetFileName).OfType<string>()
            .OrderByDescending(n => n, StringComparer.Ordinal).ToList();
        if (named is null)
        {
            if (all.Count == 0) return null;
            warn($"{pointer} is missing; choosing the newest intact checkpoint instead of starting over");
        }
        else if (!all.Contains(named, StringComparer.Ordinal))
        {
            warn($"{pointer} names checkpoint '{named}', which is missing; choosing the newest intact checkpoint");
        }
        var order = named is not null && all.Contains(named, StringComparer.Ordinal)
            ? all.Where(n => n != named).Prepend(named) : all;
        var rejected = new List<string>();
        foreach (var name in order)
        {
            var dir = Path.Combine(Directory, name);
            if (problemOf(dir) is { } problem)
            {
                rejected.Add($"{name}: {problem}");
                warn($"checkpoint {dir} is damaged ({problem}); trying the previous one");
                var aside = Path.Combine(Directory, "damaged-" + name);
                if (!System.IO.Directory.Exists(aside)) System.IO.Directory.Move(dir, aside);
                continue;
            }
            if (name != named)
            {
                var latestTmp = Path.Combine(Directory, $".{LatestFile}.tmp-{Environment.ProcessId}");
                File.WriteAllText(latestTmp, name + "\n");
                File.Move(latestTmp, pointer, overwrite: true);
                warn($"resuming from checkpoint {dir}; {pointer} now names it");
            }
            return dir;
        }
        if (rejected.Count == 0) return null;
        throw new InvalidDataException(
            $"no intact checkpoint in {Directory} ({string.Join("; ", rejected)}); the damaged ones were renamed to damaged-step-*. " +
            "Start the run over with `distilldiff train <recipe> --overwrite`");
    }

    private void Prune(string newest)
    {
        var all = System.IO.Directory.GetDirectories(Directory, "step-*").Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.StartsWith('.')).OrderBy(n => n, StringComparer.Ordinal).ToList();
        foreach (var old in all.Where(n => string.CompareOrdinal(n, newest) < 0).SkipLast(Keep - 1))
            System.IO.Directory.Delete(Path.Combine(Directory, old), true);
        foreach (var stale in System.IO.Directory.GetDirectories(Directory, ".step-*.tmp-*"))
            System.IO.Directory.Delete(stale, true);
    }
}
