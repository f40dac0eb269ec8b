namespace DistillDiff.Training.Config;

using System.Globalization;
using DistillDiff.Data.Datasets;
using DistillDiff.Engine;
using DistillDiff.Models;
using DistillDiff.Recipes;

/// <summary>
/// Range and consistency checks of a bound recipe that attributes on one record cannot express, each refused with
/// the key path, the accepted range and the file (or --set / environment variable) that gave the value. All of them
/// run before a run folder is made or replaced.
/// </summary>
public static class JobChecks
{
    /// <summary>Points in a toy2d set: each is a row of the data tensor and of every metric's distance matrix.</summary>
    public const long MaxToyCount = 10_000_000;

    /// <summary>Checks that need only the bound records.</summary>
    public static void CheckValues(JobConfig job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var name = job.Run.Name;
        // The name becomes one folder under run.output_dir: an absolute path or '..' would put the run (and what
        // --overwrite deletes) anywhere on the disk.
        if (name.Length == 0 || name is "." or ".." || name.IndexOfAny(['/', '\\']) >= 0 || Path.IsPathRooted(name)
            || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            Fail(job, "run.name", $"must be a plain folder name (no '/', '\\', '.' or '..'), got '{name}'; use --run-dir for a folder elsewhere");
        if (job.Data.Count is long count && (count < 1 || count > MaxToyCount))
            Fail(job, "data.count", Range(1, MaxToyCount, count));
        if (job.Data.Limit is int limit && limit < 1)
            Fail(job, "data.limit", Range(1, int.MaxValue, limit));
        if (job.Data.Noise is double noise && !(noise >= 0 && noise <= 1e6))
            Fail(job, "data.noise", $"must be between 0 and 1000000, got {noise.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>Checks that need the data set: class labels must fit the model's class embeddings.</summary>
    public static IDataset CheckData(JobConfig job)
    {
        ArgumentNullException.ThrowIfNull(job);
        IDataset data;
        try
        {
            data = DatasetRegistry.Default.Create(job.Data);
        }
        catch (ArgumentException e)
        {
            // Name the layer that last touched data.* (a --set typo should not be blamed on the data fragment).
            var source = job.Recipe.Flatten().Keys.Where(k => k.StartsWith("data.", StringComparison.OrdinalIgnoreCase))
                .Select(k => job.Recipe.SourceOf(k)).LastOrDefault(s => s is not null && (s.StartsWith("--set ", StringComparison.Ordinal) || s.StartsWith("environment ", StringComparison.Ordinal)))
                ?? Source(job, "data");
            throw new RecipeException($"{source}: {e.Message}", "data", source, e);
        }
        if (job.Data.PinMemory == true && !IsCuda(job.Run.Device))
            Fail(job, "data.pin_memory",
                $"is true, but pinned host memory exists only with a CUDA device and run.device is '{job.Run.Device}' " +
                "(leave it unset: batches are pinned whenever the device is CUDA)");
        if (data.NumClasses > 0 && job.Model is IClassConditionalConfig { NumClassEmbeds: int embeds } && embeds > 0 && embeds < data.NumClasses)
            Fail(job, "model.num_class_embeds",
                $"must be at least the data's {data.NumClasses} classes ({data.Name} has labels 0..{data.NumClasses - 1}), got {embeds}");
        return data;
    }

    // run.device as the job will use it ("auto" is CUDA only where libtorch sees a GPU); a bad name is reported elsewhere.
    private static bool IsCuda(string device)
    {
        try
        {
            return Device.Parse(device).IsCuda;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string Range(long min, long max, long got) =>
        string.Create(CultureInfo.InvariantCulture, $"must be between {min} and {max}, got {got}");

    private static string Source(JobConfig job, string key) =>
        job.Recipe.SourceOf(key) ?? Path.GetRelativePath(Directory.GetCurrentDirectory(), job.Recipe.SourcePath);

    private static void Fail(JobConfig job, string key, string problem)
    {
        var source = Source(job, key);
        throw new RecipeException($"{source}: key '{key}' {problem}", key, source);
    }
}
