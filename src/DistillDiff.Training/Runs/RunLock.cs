namespace DistillDiff.Training.Runs;

using System.Diagnostics;
using System.Globalization;

/// <summary>
/// The one-writer rule of a run folder: an exclusive OS lock on <c>.lock</c> (flock, which .NET takes for
/// <see cref="FileShare.None"/> on Unix and the kernel drops when the process dies, however it dies), held from
/// before the folder is touched until the process is done with it. Who holds it is written to <c>.lock.owner</c>
/// so a refused second writer can name the process; a stale owner file of a dead process blocks nothing, since
/// only the kernel lock counts.
/// </summary>
public sealed class RunLock : IDisposable
{
    public const string LockFile = ".lock";
    public const string OwnerFile = ".lock.owner";

    private readonly FileStream _stream;

    private RunLock(string folder, FileStream stream)
    {
        Folder = folder;
        _stream = stream;
    }

    public string Folder { get; }

    /// <summary>Takes the lock of <paramref name="folder"/> (created when missing) or throws <see cref="RunLockedException"/>.</summary>
    public static RunLock Acquire(string folder)
    {
        folder = Path.GetFullPath(folder);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, LockFile);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (File.Exists(path))
        {
            throw new RunLockedException(
                $"run folder {folder} is in use by {Describe(ReadOwner(folder))}: two processes must not write one run. " +
                "Wait for it to finish or stop it (Ctrl-C saves a checkpoint), then `distilldiff resume " + folder + "`");
        }
        var owner = string.Create(CultureInfo.InvariantCulture,
            $"pid {Environment.ProcessId} on {Environment.MachineName}, started {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss}Z: {CommandLine()}");
        File.WriteAllText(Path.Combine(folder, OwnerFile), owner + "\n");
        return new RunLock(folder, stream);
    }

    /// <summary>Whether a live process holds the lock of <paramref name="folder"/> (for tests and tools).</summary>
    public static bool IsHeld(string folder)
    {
        var path = Path.Combine(folder, LockFile);
        if (!File.Exists(path)) return false;
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private static string? ReadOwner(string folder)
    {
        try
        {
            return File.ReadAllText(Path.Combine(folder, OwnerFile)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string Describe(string? owner) =>
        string.IsNullOrEmpty(owner) ? "another process" : $"another process ({owner})";

    private static string CommandLine()
    {
        var args = Environment.GetCommandLineArgs();
        var name = Path.GetFileNameWithoutExtension(args.Length > 0 ? args[0] : Process.GetCurrentProcess().ProcessName);
        return string.Join(' ', args.Skip(1).Prepend(name));
    }

    public void Dispose() => _stream.Dispose();
}
