namespace DistillDiff.Training.Tests;

using System.Diagnostics;
using System.Text.Json;
using DistillDiff.Formats.TensorBoard;

/// <summary>The same toy run trained once without interruption, the reference the interrupted runs must match.</summary>
public sealed class ReferenceRun
{
    public ReferenceRun()
    {
        Dir = TestRecipes.TempDir("reference");
        var (code, _, stderr) = Cli.Run(["train", StopAndRecoverTests.Recipe(Dir), "--set", "run.tensor_board=true"], TimeSpan.FromMinutes(4));
        if (code != 0) throw new InvalidOperationException($"the reference run failed: {stderr}");
    }

    public string Dir { get; }

    public string Run => Path.Combine(Dir, "toy");
}

/// <summary>
/// SIGTERM mid-step saves a checkpoint and a resume continues exactly (models byte for byte, metrics.jsonl line for
/// line, TensorBoard without a repeated (tag, step)); a damaged latest checkpoint or a missing "latest" pointer falls
/// back to the newest intact checkpoint with a warning and still ends with the same weights.
/// </summary>
public class StopAndRecoverTests(ReferenceRun reference) : IClassFixture<ReferenceRun>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private static readonly string[] Models = ["teacher", "student-4steps", "student-2steps", "student-1steps"];

    // log_every 25, checkpoint_every 40: a stop between two logged steps is the case whose first logged loss used to
    // average fewer steps after the resume.
    public static string Recipe(string dir) => TestRecipes.Toy(dir, teacherSteps: 300, updates: 60, checkpointEvery: 40);

    [Fact]
    public async Task Sigterm_mid_run_writes_a_checkpoint_and_the_resumed_run_matches_the_uninterrupted_one()
    {
        var dir = TestRecipes.TempDir("sigterm");
        var run = Path.Combine(dir, "toy");
        using (var p = Process.Start(Cli.StartInfo(["train", Recipe(dir), "--set", "run.tensor_board=true"]))!)
        {
            var stderr = p.StandardError.ReadToEndAsync();
            _ = p.StandardOutput.ReadToEndAsync();
            WaitFor(p, () => MetricsCount(run) >= 5, stderr);   // past teacher step 125
            Cli.Signal(p, Cli.SigTerm);
            Assert.True(p.WaitForExit(Timeout));
            Assert.Equal(143, p.ExitCode);
            Assert.Matches(@"stopped by SIGTERM at teacher step (\d+)/300: checkpoint .*state/step-\d+ written\. " +
                           $"Continue with `distilldiff resume {run.Replace("/", "\\/")}`", await stderr);
        }
        var (code, _, err) = Cli.Run(["resume", run], Timeout);
        Assert.True(code == 0, err);

        AssertSameAsReference(run);
        var events = Directory.GetFiles(Path.Combine(run, "tensorboard")).SelectMany(f => TensorBoardReader.Read(f))
            .SelectMany(e => e.Values.Select(v => (v.Tag, e.Step))).ToList();
        Assert.Equal(events.Count, events.Distinct().Count());
        Assert.Contains(("teacher/loss", 300L), events);
    }

    [Fact]
    public void A_missing_latest_pointer_and_a_damaged_latest_checkpoint_fall_back_with_warnings()
    {
        var dir = TestRecipes.TempDir("damaged");
        var run = Path.Combine(dir, "toy");
        var state = Path.Combine(run, "state");

        KillAfterCheckpoint(["train", Recipe(dir), "--set", "run.tensor_board=true"], run, minGlobalStep: 120);
        File.Delete(Path.Combine(state, "latest"));
        var newest = Directory.GetDirectories(state, "step-*").Max(StringComparer.Ordinal)!;

        KillAfterCheckpoint(["resume", run], run, minGlobalStep: 240, out var warnings);
        Assert.Contains($"{Path.Combine(state, "latest")} is missing; choosing the newest intact checkpoint instead of starting over", warnings);
        Assert.Contains($"resuming from checkpoint {newest}", warnings);

        // Cut the newest checkpoint's weights short, as a full disk or a crash of the storage would.
        var latest = Path.Combine(state, File.ReadAllText(Path.Combine(state, "latest")).Trim());
        var weights = Path.Combine(latest, "model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]);

        var (code, stdout, stderr) = Cli.Run(["resume", run], Timeout);
        Assert.True(code == 0, stderr);
        Assert.Contains($"checkpoint {latest} is damaged (Invalid safetensors file '{weights}': file is truncated", stdout + stderr);
        Assert.True(Directory.Exists(Path.Combine(state, "damaged-" + Path.GetFileName(latest))));
        AssertSameAsReference(run);
    }

    [Fact]
    public void A_second_sigint_exits_at_once_without_an_error()
    {
        var dir = TestRecipes.TempDir("second-signal");
        var run = Path.Combine(dir, "toy");
        // Steps of a 65,536 batch through a 512-wide MLP take long enough that the second signal arrives while the first
        // step still runs (the 128-wide one, once OpenBLAS ran on one thread, sometimes finished its stop first).
        using var p = new Process { StartInfo = Cli.StartInfo(["train", Recipe(dir), "--set", "teacher.batch_size=65536", "--set", "data.count=200000", "--set", "model.hidden=512",
            "--set", "run.log_every=1"]) };
        var stderr = new System.Text.StringBuilder();
        p.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        p.Start();
        p.BeginErrorReadLine();
        p.StandardOutput.ReadToEndAsync();
        string Err() { lock (stderr) return stderr.ToString(); }
        WaitFor(p, () => MetricsCount(run) >= 1, Task.FromResult(""));
        Cli.Signal(p, Cli.SigInt);
        WaitFor(p, () => Err().Contains("SIGINT: finishing the current step"), Task.FromResult(""));
        var clock = Stopwatch.StartNew();
        Cli.Signal(p, Cli.SigInt);

        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(10)));
        p.WaitForExit();
        Assert.Equal(130, p.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed} to exit");
        Assert.Contains("SIGINT again: exiting now without a checkpoint", Err());
        Assert.Empty(Cli.ErrorLines(Err()));
    }

    private void AssertSameAsReference(string run)
    {
        foreach (var m in Models)
        {
            var file = Path.Combine("models", m, "diffusion_pytorch_model.safetensors");
            Assert.True(File.ReadAllBytes(Path.Combine(reference.Run, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(run, file))),
                $"{file} differs from the uninterrupted run");
        }
        Assert.Equal(MetricsWithoutTime(reference.Run), MetricsWithoutTime(run));
    }

    private static void KillAfterCheckpoint(string[] args, string run, long minGlobalStep) => KillAfterCheckpoint(args, run, minGlobalStep, out _);

    private static void KillAfterCheckpoint(string[] args, string run, long minGlobalStep, out string output)
    {
        using var p = Process.Start(Cli.StartInfo(args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        WaitFor(p, () => LatestGlobalStep(run) >= minGlobalStep, stderr);
        p.Kill(entireProcessTree: true);
        p.WaitForExit();
        output = stdout.Result + stderr.Result;
    }

    private static void WaitFor(Process p, Func<bool> condition, Task<string> stderr)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.False(p.HasExited, $"the run ended (code {(p.HasExited ? p.ExitCode : 0)}) too early: {(p.HasExited ? stderr.Result : "")}");
            Assert.True(DateTime.UtcNow < deadline, "the run did not get there in time");
            Thread.Sleep(10);
        }
    }

    private static int MetricsCount(string run)
    {
        var path = Path.Combine(run, "metrics.jsonl");
        try
        {
            return File.Exists(path) ? File.ReadAllLines(path).Length : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static long LatestGlobalStep(string run)
    {
        var latest = Path.Combine(run, "state", "latest");
        try
        {
            if (!File.Exists(latest)) return -1;
            var name = File.ReadAllText(latest).Trim();
            return name.Length >= 14 && long.TryParse(name.AsSpan("step-".Length, 9), out var s) ? s : -1;
        }
        catch (IOException)
        {
            return -1;
        }
    }

    private static List<string> MetricsWithoutTime(string run) =>
        File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(line =>
        {
            var o = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(line)!;
            o.Remove("time");
            return JsonSerializer.Serialize(o);
        }).ToList();
}
