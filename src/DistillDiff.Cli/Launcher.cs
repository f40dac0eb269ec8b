namespace DistillDiff.Cli;

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using DistillDiff.Training.Distributed;

/// <summary>
/// `--nproc N`: runs this same command line as N local processes of a data-parallel job, with the environment
/// torchrun would set (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR=127.0.0.1, a free MASTER_PORT), and waits for all.
/// A rank that fails makes the others stop on their own within the distributed timeout; any still running
/// after that (plus a grace period) are killed. The exit code is the first failing rank's, or 0.
/// </summary>
public static class Launcher
{
    /// <summary>True when <paramref name="nproc"/> asks for a launch and this process is not already a rank of one.</summary>
    public static bool ShouldLaunch(int nproc)
    {
        if (nproc == 1) return false;
        try
        {
            return LaunchEnvironment.Read() is null;
        }
        catch (InvalidOperationException)
        {
            return false;   // a bad launch variable: the run itself reports it as one error line
        }
    }

    public static int Run(int nproc)
    {
        if (nproc < 1)
        {
            Console.Error.WriteLine($"error: --nproc must be at least 1, got {nproc}");
            return 1;
        }
        var port = FreePort();
        var timeout = LaunchEnvironment.DefaultTimeout;
        if (Environment.GetEnvironmentVariable("DISTILLDIFF_DIST_TIMEOUT") is { } t && double.TryParse(t, System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0)
            timeout = TimeSpan.FromSeconds(s);
        var procs = new List<Process>();
        try
        {
            for (var rank = 0; rank < nproc; rank++) procs.Add(Process.Start(StartInfo(rank, nproc, port))!);
            int? failedRank = null;
            DateTime? deadline = null;
            while (procs.Any(p => !p.HasExited))
            {
                for (var r = 0; r < procs.Count && failedRank is null; r++)
                    if (procs[r].HasExited && procs[r].ExitCode != 0)
                    {
                        failedRank = r;
                        deadline = DateTime.UtcNow + timeout + TimeSpan.FromSeconds(30);
                    }
                if (deadline is { } d && DateTime.UtcNow > d)
                {
                    foreach (var p in procs.Where(p => !p.HasExited)) p.Kill(entireProcessTree: true);
                    break;
                }
                Thread.Sleep(100);
            }
            foreach (var p in procs) p.WaitForExit();
            var first = failedRank ?? procs.FindIndex(p => p.ExitCode != 0);
            if (first < 0) return 0;
            Console.Error.WriteLine($"error: rank {first} of {nproc} exited with code {procs[first].ExitCode} (its message is above)");
            return procs[first].ExitCode;
        }
        finally
        {
            foreach (var p in procs)
            {
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                p.Dispose();
            }
        }
    }

    private static ProcessStartInfo StartInfo(int rank, int world, int port)
    {
        // Under `dotnet distilldiff.dll` the process is the dotnet host: the children need the assembly path too.
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this program's path to start the ranks");
        var psi = new ProcessStartInfo(host) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") psi.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        foreach (var a in Environment.GetCommandLineArgs().Skip(1)) psi.ArgumentList.Add(a);
        psi.Environment["RANK"] = rank.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["LOCAL_RANK"] = psi.Environment["RANK"];
        psi.Environment["WORLD_SIZE"] = world.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["LOCAL_WORLD_SIZE"] = psi.Environment["WORLD_SIZE"];
        psi.Environment["MASTER_ADDR"] = "127.0.0.1";
        psi.Environment["MASTER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (rank != 0) psi.Environment["DISTILLDIFF_NO_PROGRESS"] = "1";   // one progress bar on the terminal
        return psi;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
