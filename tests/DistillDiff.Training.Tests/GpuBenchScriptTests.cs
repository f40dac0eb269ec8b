namespace DistillDiff.Training.Tests;

using System.Diagnostics;
using System.Text.Json;

/// <summary>
/// tools/gpu/bench.sh, the GPU benchmark that tools/gpu/check.sh runs on the lent GPU machine, run here with --cpu
/// (tiny counts): both sides run, the PyTorch twin of the UNet computes what DistillDiff's computes on the same
/// weights, and the table has every row. Needs the built benchmark (the solution builds it) and python3 with torch.
/// </summary>
public sealed class GpuBenchScriptTests : IDisposable
{
    private readonly string _out = TestRecipes.TempDir("gpu-bench");

    public void Dispose() => Directory.Delete(_out, recursive: true);

    [Fact]
    public void TheCpuDryRunWritesTheWholeTableAndPassesTheSameWorkCheck()
    {
        var (code, stdout, stderr) = RunBash(Path.Combine(TestRecipes.RepoRoot, "tools", "gpu", "bench.sh"), _out, "--cpu");
        Assert.True(code == 0, $"bench.sh --cpu exited {code}:\n{stderr}\n{stdout}");

        var md = File.ReadAllText(Path.Combine(_out, "bench.md"));
        Assert.Contains("# GPU benchmark: DistillDiff vs PyTorch eager (cpu)", md);
        Assert.Matches(@"Same-work check .*: PASS\.", md);
        Assert.Contains("| train step fp32, batch 8 |", md);
        Assert.Contains("| train step bf16, batch 8 |", md);
        foreach (var steps in new[] { "1 step", "4 steps" })
            foreach (var batch in new[] { 1, 4 })
            {
                Assert.Contains($"| sample {steps}, batch {batch}, DistillDiff eager |", md);
                Assert.Contains($"| sample {steps}, batch {batch}, DistillDiff static buffers, no graph (CPU) |", md);
            }
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_out, "bench.json")));
        Assert.True(json.RootElement.GetProperty("same_work").GetBoolean());
        var cs = json.RootElement.GetProperty("distilldiff");
        Assert.Equal(cs.GetProperty("parameters").GetInt64(), json.RootElement.GetProperty("pytorch").GetProperty("parameters").GetInt64());
        Assert.True(cs.GetProperty("train_ms").GetProperty("fp32").GetProperty("median_ms").GetDouble() > 0);
        Assert.Equal(8, cs.GetProperty("sample_ms").GetArrayLength());
        // Only the two result files come back from the device machine's $OUT: no working files left there.
        Assert.Equal(["bench.json", "bench.md"], Directory.GetFiles(_out).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void ABadArgumentIsOneErrorLine()
    {
        var (code, _, stderr) = RunBash(Path.Combine(TestRecipes.RepoRoot, "tools", "gpu", "bench.sh"), _out, "--gpu");
        Assert.Equal(1, code);
        Assert.Equal("error: bench.sh: unknown argument '--gpu' (expected --cpu)", Assert.Single(Cli.ErrorLines(stderr)));
    }

    private static (int Code, string Stdout, string Stderr) RunBash(params string[] args)
    {
        var psi = new ProcessStartInfo("bash", args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TestRecipes.RepoRoot };
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"bash {string.Join(' ', args)} ran over 10 minutes (about 10 s on an idle 2-core machine)");
        }
        return (p.ExitCode, o.Result, e.Result);
    }
}
