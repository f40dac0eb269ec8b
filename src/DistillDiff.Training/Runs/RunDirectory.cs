namespace DistillDiff.Training.Runs;

/// <summary>
/// The folder of one run (checkpoints/&lt;run-name&gt;/ by default) and the fixed places inside it, so tools, tests and
/// users find every artefact by the same name:
/// <code>
/// config.yaml      the fully resolved recipe          train.log / log.jsonl   human and structured logs
/// metrics.jsonl    one JSON object per logged step    tensorboard/            TensorBoard event files
/// plots/           loss and step-count curves (SVG)   samples/                sample grids (PNG)
/// state/           resumable training state           models/                 loadable checkpoints (diffusers layout)
/// </code>
/// </summary>
public sealed class RunDirectory : IDisposable
{
    /// <summary>Written when a run folder is made: only a folder holding it may be replaced by --overwrite.</summary>
    public const string MarkerFile = ".distilldiff-run";

    private readonly RunLock? _lock;

    /// <summary>The folder's layout without taking its lock (for readers such as plots and tests).</summary>
    public RunDirectory(string path)
        : this(path, null)
    {
    }

    private RunDirectory(string path, RunLock? held)
    {
        Root = Path.GetFullPath(path);
        _lock = held;
        foreach (var d in new[] { Root, TensorBoard, Plots, Samples, State, Models }) Directory.CreateDirectory(d);
    }

    /// <summary>
    /// Makes (or, with <paramref name="overwrite"/>, empties) the folder of a new run and holds its lock until disposed.
    /// An existing non-empty folder is refused unless <paramref name="overwrite"/>, and even then unless it is a run
    /// (holds <see cref="MarkerFile"/>); a folder another process writes is refused before anything is deleted.
    /// </summary>
    public static RunDirectory CreateNew(string path, bool overwrite)
    {
        var dir = Path.GetFullPath(path);
        if (File.Exists(dir))
            throw new IOException($"run folder {dir} is a file");
        var existed = Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any(e => !IsLockFile(e));
        if (existed)
        {
            if (!overwrite)
                throw new InvalidOperationException(
                    $"run folder {dir} already exists: continue it with `distilldiff resume {dir}`, pick another name " +
                    "(--set run.name=...), or pass --overwrite to start over");
            if (!File.Exists(Path.Combine(dir, MarkerFile)))
                throw new InvalidOperationException(
                    $"--overwrite refused: {dir} is not a DistillDiff run folder (no {MarkerFile}), so nothing in it was deleted; " +
                    "pick another run.name or --run-dir, or delete the folder yourself");
        }
        var held = RunLock.Acquire(dir);
        try
        {
            if (existed)
            {
                foreach (var entry in Directory.EnumerateFileSystemEntries(dir).Where(e => !IsLockFile(e)).ToList())
                {
                    if (Directory.Exists(entry) && !File.GetAttributes(entry).HasFlag(FileAttributes.ReparsePoint)) Directory.Delete(entry, true);
                    else File.Delete(entry);
                }
            }
            File.WriteAllText(Path.Combine(dir, MarkerFile), "a DistillDiff run folder: `distilldiff train --overwrite` may replace it\n");
            return new RunDirectory(dir, held);
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    /// <summary>Opens the folder of an existing run to continue it, holding its lock until disposed.</summary>
    public static RunDirectory OpenExisting(string path)
    {
        var dir = Path.GetFullPath(path);
        if (!IsRun(dir))
            throw new InvalidOperationException($"{dir} is not a run folder (no config.yaml): start runs with `distilldiff train <recipe>`");
        var held = RunLock.Acquire(dir);
        try
        {
            return new RunDirectory(dir, held);
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    /// <summary>Deletes the folder of a run that failed before it trained anything (keeping the lock until the end).</summary>
    public void DeleteAndRelease()
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(Root).Where(e => !IsLockFile(e)).ToList())
        {
            if (Directory.Exists(entry)) Directory.Delete(entry, true);
            else File.Delete(entry);
        }
        Dispose();
        Directory.Delete(Root, true);
    }

    public void Dispose() => _lock?.Dispose();

    private static bool IsLockFile(string entry) => Path.GetFileName(entry) is RunLock.LockFile or RunLock.OwnerFile;

    public string Root { get; }
    public string Config => Path.Combine(Root, "config.yaml");
    public string Log => Path.Combine(Root, "train.log");
    public string JsonLog => Path.Combine(Root, "log.jsonl");
    public string Metrics => Path.Combine(Root, "metrics.jsonl");
    public string Curves => Path.Combine(Root, "step_curve.json");
    public string TensorBoard => Path.Combine(Root, "tensorboard");
    public string Plots => Path.Combine(Root, "plots");
    public string Samples => Path.Combine(Root, "samples");
    public string State => Path.Combine(Root, "state");
    public string Models => Path.Combine(Root, "models");

    /// <summary>A loadable model folder, e.g. models/teacher or models/student-4steps.</summary>
    public string Model(string name) => Path.Combine(Models, name);

    /// <summary>Whether the folder holds a run that can be resumed.</summary>
    public static bool IsRun(string path) => File.Exists(Path.Combine(path, "config.yaml"));
}
