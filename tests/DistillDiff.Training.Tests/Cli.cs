namespace DistillDiff.Training.Tests;

using System.Diagnostics;
using System.Runtime.InteropServices;

/// <summary>Runs the built distilldiff CLI (copied next to the tests) as a child process.</summary>
internal static class Cli
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "distilldiff.dll");

    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DISTILLDIFF_NO_PROGRESS"] = "1";
        return psi;
    }

    public const int SigInt = 2;
    public const int SigTerm = 15;

    /// <summary>Sends a POSIX signal (Process.Kill only knows SIGKILL).</summary>
    public static void Signal(Process p, int signal)
    {
        if (kill(p.Id, signal) != 0) throw new InvalidOperationException($"kill({p.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    /// <summary>Lines of stderr that start an error (the CLI promises exactly one per refused input).</summary>
    public static string[] ErrorLines(string stderr) => stderr.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToArray();

    /// <summary>Whether stderr holds a .NET stack trace.</summary>
    public static bool HasStackTrace(string stderr) => stderr.Split('\n').Any(l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) && l.Contains('('));

    public static (int Code, string Stdout, string Stderr) Run(IEnumerable<string> args, TimeSpan timeout)
    {
        using var p = Process.Start(StartInfo(args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"distilldiff {string.Join(" ", args)} did not finish in {timeout}");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
