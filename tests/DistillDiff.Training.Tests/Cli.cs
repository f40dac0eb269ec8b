namespace DistillDiff.Training.Tests;

using System.Diagnostics;

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
