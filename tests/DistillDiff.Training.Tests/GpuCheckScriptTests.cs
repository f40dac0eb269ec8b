namespace DistillDiff.Training.Tests;

using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Runtime.InteropServices;

/// <summary>
/// tools/gpu/check.sh, the lent GPU machine's one command, run here with --cpu: every stage but the benchmark (which is
/// another script's, tools/gpu/bench.sh) on a pack laid out as tools/gpu/pack.sh lays it out. The pack is made of
/// links to this build's outputs rather than packed (pack.sh compresses 130 MiB with xz for minutes): the runtime that
/// runs these tests, the CLI, and one test project (Formats, about 100 tests in seconds).
/// </summary>
public class GpuCheckScriptTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(16);

    [Fact]
    public void CpuDryRunRunsEveryStageAndWritesTheSummaryTheLogsAndTheArtifacts()
    {
        var dir = TestRecipes.TempDir("gpu-check");
        var pack = FakePack(dir, withCli: true);
        var outDir = Path.Combine(dir, "out");
        // The tracked GPU-sized recipes; --cpu shrinks the UNet and the steps.
        var (code, stdout, stderr) = Check(["--cpu", "--pack", pack, "--out", outDir, "--work", Path.Combine(dir, "work"),
            "--budget", "900", "--stages", "unpack,build,tests,fmnist", "--recipes", "fmnist"]);
        var summary = File.ReadAllText(Path.Combine(outDir, "summary.md"));
        Assert.True(code == 0, $"exit {code}\n{summary}\n{stdout}\n{stderr}");

        var lines = summary.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("- unpack: ok in ", StringComparison.Ordinal) && l.EndsWith("; 1 test projects; pack fake", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("- build: ok in ", StringComparison.Ordinal) && l.Contains(": libtorch ") && l.Contains("; CUDA "));
        // (Without Chromium, as in the libtorch 2.6 root, the line adds that the report tests were left out.)
        Assert.Contains(lines, l => l.StartsWith("- tests: ok in ", StringComparison.Ordinal) && l.Contains(": 97 passed, 0 failed, 0 skipped"));
        Assert.Contains(lines, l => l.StartsWith("- fmnist: ok in ", StringComparison.Ordinal) && l.Contains("teacher, PD, ADD trained and evaluated"));
        Assert.DoesNotContain(lines, l => l.StartsWith("- bench:", StringComparison.Ordinal));
        Assert.Contains("check: 4 ok, 0 failed, 0 skipped", lines);
        Assert.Contains("## fmnist eval-pd", summary);

        // The device tool brings back at most 8 files from OUT, none deeper than two folders.
        var files = Directory.GetFiles(outDir, "*", SearchOption.AllDirectories).Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(["artifacts.tar.gz", "build.log", "fmnist.log", "summary.md", "tests.log", "unpack.log"], files);
        Assert.Contains("DistillDiff.Formats.Tests: exit 0", File.ReadAllText(Path.Combine(outDir, "tests.log")));

        var entries = TarEntries(Path.Combine(outDir, "artifacts.tar.gz"));
        Assert.Contains("tests/DistillDiff.Formats.Tests.xml", entries);
        foreach (var e in new[] { "fmnist/eval-teacher/eval.csv", "fmnist/eval-pd/eval.csv", "fmnist/eval-add/eval.csv", "fmnist/teacher/metrics.jsonl", "fmnist/add/step_curve.json", "fmnist.log" })
            Assert.Contains(e, entries);
        Assert.DoesNotContain(entries, e => e.EndsWith(".safetensors", StringComparison.Ordinal));   // checkpoints stay on the machine
    }

    [Fact]
    public void AFailedStageSkipsTheStagesThatNeedItAndTheSummaryIsStillWritten()
    {
        var dir = TestRecipes.TempDir("gpu-check-broken");
        var outDir = Path.Combine(dir, "out");
        var (code, _, _) = Check(["--cpu", "--pack", FakePack(dir, withCli: false), "--out", outDir, "--work", Path.Combine(dir, "work"), "--stages", "unpack,build,tests,fmnist"]);
        Assert.Equal(3, code);
        var lines = File.ReadAllLines(Path.Combine(outDir, "summary.md"));
        Assert.Contains(lines, l => l.StartsWith("- unpack: FAILED (exit 1; see unpack.log) in ", StringComparison.Ordinal));
        Assert.Contains("- build: skipped (needs unpack)", lines);
        Assert.Contains("- tests: skipped (needs unpack and build)", lines);
        Assert.Contains("- fmnist: skipped (needs unpack and build)", lines);
        Assert.Contains("check: 0 ok, 1 failed, 3 skipped", lines);
        Assert.Contains("the pack has no CLI", File.ReadAllText(Path.Combine(outDir, "unpack.log")));
    }

    [Fact]
    public void AStageIsSkippedWhenLessBudgetIsLeftThanItNeeds()
    {
        var dir = TestRecipes.TempDir("gpu-check-budget");
        var outDir = Path.Combine(dir, "out");
        // 15 s are kept back for the summary, and unpack needs about 2 s on --cpu: a 16 s budget starts nothing.
        var (code, _, _) = Check(["--cpu", "--pack", FakePack(dir, withCli: true), "--out", outDir, "--work", Path.Combine(dir, "work"), "--budget", "16", "--stages", "unpack,build"]);
        Assert.Equal(3, code);
        var lines = File.ReadAllLines(Path.Combine(outDir, "summary.md"));
        Assert.Contains(lines, l => l.StartsWith("- unpack: skipped (budget: 1", StringComparison.Ordinal) && l.EndsWith(" s left, needs about 2 s)", StringComparison.Ordinal));
        Assert.Contains("- build: skipped (needs unpack)", lines);
        Assert.Contains("check: 0 ok, 0 failed, 2 skipped", lines);
    }

    [Theory]
    [InlineData("--budget", "soon", "error: --budget must be a positive integer, got 'soon'")]
    [InlineData("--stages", "unpack,train", "error: unknown stage 'train' in --stages (expected some of: unpack build tests bench fmnist)")]
    [InlineData("--pack", "/nonexistent/pack.tar.xz", "error: no pack at /nonexistent/pack.tar.xz: run bash tools/gpu/pack.sh first (or name one with --pack)")]
    public void BadArgumentsAreOneErrorLine(string option, string value, string expected)
    {
        var (code, stdout, stderr) = Check(["--cpu", option, value, "--out", Path.Combine(TestRecipes.TempDir("gpu-check-args"), "out")]);
        Assert.Equal(1, code);
        Assert.Equal(expected, stderr.Trim());
        Assert.Equal("", stdout);
    }

    /// <summary>pack.sh's layout: dotnet/ (the runtime), MANIFEST, and each app's Release output at its repository path.</summary>
    private static string FakePack(string dir, bool withCli)
    {
        var pack = Path.Combine(dir, "pack");
        // The runtime these tests run on: .../dotnet/shared/Microsoft.NETCore.App/<version>/.
        var runtimeDir = Path.TrimEndingDirectorySeparator(RuntimeEnvironment.GetRuntimeDirectory());
        var dotnetRoot = Directory.GetParent(runtimeDir)!.Parent!.Parent!.FullName;
        Directory.CreateDirectory(pack);
        File.CreateSymbolicLink(Path.Combine(pack, "dotnet"), dotnetRoot);
        File.WriteAllText(Path.Combine(pack, "MANIFEST"), "# fake pack\ncommit: fake\nruntime: the test's own\n");
        // This build's configuration folder (Release under tools/test.sh), whatever it is, stands in for pack.sh's Release.
        var ownBin = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
        var configuration = ownBin.Parent!.Name;
        void Link(string project)
        {
            var target = Path.Combine(TestRecipes.RepoRoot, project, "bin", configuration, ownBin.Name);
            Assert.True(Directory.Exists(target), $"{target} is not built");
            var link = Path.Combine(pack, project, "bin", "Release", "net10.0");
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            File.CreateSymbolicLink(link, target);
        }
        if (withCli) Link("src/DistillDiff.Cli");
        Link("tests/DistillDiff.Formats.Tests");
        return pack;
    }

    private static (int Code, string Stdout, string Stderr) Check(string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(TestRecipes.RepoRoot, "tools", "gpu", "check.sh"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("OUT");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(Timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"check.sh {string.Join(" ", args)} did not finish in {Timeout}");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private static List<string> TarEntries(string path)
    {
        using var file = File.OpenRead(path);
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        var names = new List<string>();
        for (var e = tar.GetNextEntry(); e != null; e = tar.GetNextEntry())
            names.Add(e.Name.StartsWith("./", StringComparison.Ordinal) ? e.Name[2..] : e.Name);
        return names;
    }
}
