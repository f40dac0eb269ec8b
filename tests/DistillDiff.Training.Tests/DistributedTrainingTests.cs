namespace DistillDiff.Training.Tests;

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using DistillDiff.Engine;
using DistillDiff.Engine.Serialization;
using DistillDiff.Recipes;
using DistillDiff.Training.Trainers;

/// <summary>
/// Data-parallel training as separate processes over loopback (Gloo): a few steps of the quickstart (teacher and two
/// distillation rounds, EMA and clipping on) on 2 ranks with per-rank batch 64 follow 1 process with batch 128, and a
/// killed rank makes the other stop within the timeout, naming it, after which `resume` finishes the run.
/// </summary>
public class DistributedTrainingTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private static readonly string QuickstartRecipe = Path.Combine(TestRecipes.RepoRoot, "recipes", "quickstart.yaml");

    /// <summary>A few steps of the quickstart: a 2-D MLP teacher, then distillation 4 -> 2 -> 1 steps, 10 updates each.</summary>
    private static string[] QuickstartSets(string dir, int batch, int teacherSteps, int checkpointEvery = 1000) =>
    [
        $"run.output_dir={dir}", "run.threads=1", "run.log_every=5", $"run.checkpoint_every={checkpointEvery}", "run.tensor_board=false",
        $"teacher.steps={teacherSteps}", "teacher.warmup_steps=5", $"teacher.batch_size={batch}",
        "distill.start_steps=4", "distill.updates_per_round=10", $"distill.batch_size={batch}",
        "eval.steps=[1]", "eval.num_samples=200", "eval.projections=16",
    ];

    private static string[] Quickstart(string dir, int batch, int teacherSteps, int checkpointEvery = 1000) =>
        ["train", QuickstartRecipe, .. QuickstartSets(dir, batch, teacherSteps, checkpointEvery).SelectMany(s => new[] { "--set", s })];

    [Fact]
    public void TwoRanksAtBatch64FollowOneProcessAtBatch128()
    {
        var one = TestRecipes.TempDir("dp-one");
        var (c1, _, e1) = Cli.Run(Quickstart(one, 128, 30), Timeout);
        Assert.True(c1 == 0, e1);
        var two = TestRecipes.TempDir("dp-two");
        var (c2, _, e2) = Cli.Run([.. Quickstart(two, 64, 30), "--nproc", "2"], Timeout);
        Assert.True(c2 == 0, e2);

        var runOne = Path.Combine(one, "quickstart");
        var runTwo = Path.Combine(two, "quickstart");
        var lossOne = Losses(runOne);
        var lossTwo = Losses(runTwo);
        Assert.Equal(lossOne.Keys, lossTwo.Keys);   // same phases and logged steps: 6 teacher, 2 + 2 distillation
        Assert.Equal(10, lossOne.Count);
        var worstLoss = lossOne.Max(kv => Math.Abs(lossTwo[kv.Key] - kv.Value) / Math.Abs(kv.Value));
        output.WriteLine($"largest relative loss difference over {lossOne.Count} logged steps: {worstLoss:E2}");
        foreach (var (key, l1) in lossOne)
            Assert.True(Math.Abs(lossTwo[key] - l1) <= 1e-4 * Math.Abs(l1) + 1e-6, $"{key}: loss {lossTwo[key]} on 2 ranks vs {l1} on 1");

        foreach (var model in new[] { "teacher", "student-2steps", "student-1steps" })
        {
            var file = Path.Combine("models", model, "diffusion_pytorch_model.safetensors");
            var (maxDiff, maxAbs) = MaxDifference(Path.Combine(runOne, file), Path.Combine(runTwo, file));
            output.WriteLine($"{model}: largest weight difference {maxDiff:E2} (largest weight {maxAbs:F3})");
            Assert.True(maxDiff <= 1e-4 * Math.Max(maxAbs, 1), $"{model}: weights differ by up to {maxDiff} (largest weight {maxAbs})");
        }
        // Rank 0 alone wrote the run: one config, one log, one set of metrics.
        Assert.Equal(File.ReadAllLines(Path.Combine(runOne, "metrics.jsonl")).Length, File.ReadAllLines(Path.Combine(runTwo, "metrics.jsonl")).Length);
    }

    /// <summary>
    /// ADD on 2 ranks: two trained modules (student and discriminator, each with its own optimizer, stepping on
    /// alternate iterations), R1 through double backward, and the discriminator's own noise, all follow 1 process.
    /// </summary>
    [Fact]
    public void AdversarialDistillationOnTwoRanksFollowsOneProcess()
    {
        string[] Sets(string dir, int batch) =>
        [
            $"run.output_dir={dir}", "run.threads=1", "run.log_every=4", "run.tensor_board=false",
            $"teacher.checkpoint={Path.Combine(dir, "no-teacher-yet")}", "teacher.steps=20", "teacher.warmup_steps=5", $"teacher.batch_size={batch}",
            "distill.updates=6", $"distill.batch_size={batch}", "distill.r1_every=2",
            "eval.steps=[1]", "eval.num_samples=200", "eval.projections=16",
        ];
        var recipe = Path.Combine(TestRecipes.RepoRoot, "recipes", "quickstart-add.yaml");
        var one = TestRecipes.TempDir("dp-add-one");
        var (c1, _, e1) = Cli.Run(["train", recipe, .. Sets(one, 128).SelectMany(s => new[] { "--set", s })], Timeout);
        Assert.True(c1 == 0, e1);
        var two = TestRecipes.TempDir("dp-add-two");
        var (c2, _, e2) = Cli.Run(["train", recipe, .. Sets(two, 64).SelectMany(s => new[] { "--set", s }), "--nproc", "2"], Timeout);
        Assert.True(c2 == 0, e2);

        var (runOne, runTwo) = (Path.Combine(one, "quickstart-add"), Path.Combine(two, "quickstart-add"));
        var lossOne = Losses(runOne, "loss", "g_adv", "distill", "d_loss", "r1");
        var lossTwo = Losses(runTwo, "loss", "g_adv", "distill", "d_loss", "r1");
        Assert.Equal(lossOne.Keys, lossTwo.Keys);
        Assert.Contains(lossOne.Keys, k => k.StartsWith("adversarial/r1/", StringComparison.Ordinal));
        var worst = lossOne.Max(kv => Math.Abs(lossTwo[kv.Key] - kv.Value) / Math.Max(Math.Abs(kv.Value), 1e-3));
        output.WriteLine($"ADD: largest relative loss difference over {lossOne.Count} logged values: {worst:E2}");
        Assert.True(worst <= 1e-4, $"ADD losses differ by up to {worst:E2} (relative)");
        var file = Path.Combine("models", "student-add", "diffusion_pytorch_model.safetensors");
        var (maxDiff, maxAbs) = MaxDifference(Path.Combine(runOne, file), Path.Combine(runTwo, file));
        output.WriteLine($"ADD student: largest weight difference {maxDiff:E2} (largest weight {maxAbs:F3})");
        Assert.True(maxDiff <= 1e-4 * Math.Max(maxAbs, 1), $"ADD student weights differ by up to {maxDiff}");
    }

    [Fact]
    public async Task AKilledRankStopsTheOtherWithinTheTimeoutNamingItAndResumeFinishes()
    {
        var dir = TestRecipes.TempDir("dp-kill");
        var run = Path.Combine(dir, "quickstart");
        var port = FreePort();
        var args = Quickstart(dir, 64, 200, checkpointEvery: 20);
        using var rank0 = Process.Start(Rank(args, 0, port))!;
        using var rank1 = Process.Start(Rank(args, 1, port))!;
        var out0 = rank0.StandardOutput.ReadToEndAsync();
        var err0 = rank0.StandardError.ReadToEndAsync();
        _ = rank1.StandardOutput.ReadToEndAsync();
        _ = rank1.StandardError.ReadToEndAsync();
        try
        {
            var deadline = DateTime.UtcNow + Timeout;
            while (LatestStep(run) < 40)
            {
                if (rank0.HasExited) Assert.Fail($"rank 0 ended (code {rank0.ExitCode}) before step 40: {await err0}");
                Assert.True(DateTime.UtcNow < deadline, "no checkpoint in time");
                Thread.Sleep(10);
            }
            rank1.Kill();   // SIGKILL: its sockets close, nothing of it says goodbye
            var clock = Stopwatch.StartNew();
            Assert.True(rank0.WaitForExit(TimeSpan.FromSeconds(30)), "rank 0 still runs 30 s after rank 1 was killed (timeout 20 s)");
            Assert.NotEqual(0, rank0.ExitCode);
            var err = await err0;
            Assert.Contains("error: ", err);
            Assert.Contains("on rank 0 of 2", err);
            Assert.Contains("rank 1 does not answer", err);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"rank 0 took {clock.Elapsed} to stop");
            output.WriteLine($"rank 0 stopped {clock.Elapsed.TotalSeconds:F1} s after rank 1 was killed: {err.Trim().Split('\n')[^1]}");
        }
        finally
        {
            if (!rank0.HasExited) rank0.Kill();
            if (!rank1.HasExited) rank1.Kill();
        }

        // The last checkpoint is whole: resuming on 2 ranks finishes the run.
        var (code, _, stderr) = Cli.Run(["resume", run, "--nproc", "2"], Timeout);
        Assert.True(code == 0, stderr);
        Assert.True(File.Exists(Path.Combine(run, "models", "student-1steps", "diffusion_pytorch_model.safetensors")));
        Assert.Contains("resuming from", File.ReadAllText(Path.Combine(run, "train.log")));
    }

    [Fact]
    public async Task AHangingRankStopsTheOtherAfterTheTimeoutNamingIt()
    {
        var dir = TestRecipes.TempDir("dp-hang");
        var run = Path.Combine(dir, "quickstart");
        var port = FreePort();
        var args = Quickstart(dir, 64, 2000, checkpointEvery: 20);
        using var rank0 = Process.Start(Rank(args, 0, port, timeoutSeconds: 6))!;
        using var rank1 = Process.Start(Rank(args, 1, port, timeoutSeconds: 6))!;
        var err0 = rank0.StandardError.ReadToEndAsync();
        _ = rank0.StandardOutput.ReadToEndAsync();
        _ = rank1.StandardOutput.ReadToEndAsync();
        _ = rank1.StandardError.ReadToEndAsync();
        try
        {
            var deadline = DateTime.UtcNow + Timeout;
            while (LatestStep(run) < 20)
            {
                if (rank0.HasExited) Assert.Fail($"rank 0 ended (code {rank0.ExitCode}) before step 20: {await err0}");
                Assert.True(DateTime.UtcNow < deadline, "no checkpoint in time");
                Thread.Sleep(10);
            }
            using (var stop = Process.Start("kill", ["-STOP", rank1.Id.ToString(CultureInfo.InvariantCulture)])) stop.WaitForExit();
            var clock = Stopwatch.StartNew();
            Assert.True(rank0.WaitForExit(TimeSpan.FromSeconds(30)), "rank 0 still runs 30 s after rank 1 hung (timeout 6 s)");
            var err = await err0;
            Assert.NotEqual(0, rank0.ExitCode);
            Assert.Contains("rank 1 does not answer", err);
            // The timeout (6 s) plus the wait for survivors to check in (up to 5 s), not the default 30 minutes.
            Assert.True(clock.Elapsed > TimeSpan.FromSeconds(5) && clock.Elapsed < TimeSpan.FromSeconds(25), $"rank 0 took {clock.Elapsed} to stop");
            output.WriteLine($"rank 0 stopped {clock.Elapsed.TotalSeconds:F1} s after rank 1 hung: {err.Trim().Split('\n')[^1]}");
        }
        finally
        {
            if (!rank0.HasExited) rank0.Kill();
            if (!rank1.HasExited) rank1.Kill();
        }
    }

    [Fact]
    public void ARunStoppedOnOneProcessResumesOnTwo()
    {
        var dir = TestRecipes.TempDir("dp-resume");
        using (var job = TrainingJob.Start(RecipeLoader.Load(QuickstartRecipe, QuickstartSets(dir, 64, 30))))
        {
            var iterations = 0;
            job.StopRequested = () => ++iterations > 15;   // checkpoint and stop at teacher step 15
            job.Execute();
        }
        var run = Path.Combine(dir, "quickstart");
        Assert.False(File.Exists(Path.Combine(run, "models", "teacher", "config.json")));
        var (code, _, stderr) = Cli.Run(["resume", run, "--nproc", "2"], Timeout);
        Assert.True(code == 0, stderr);
        var losses = Losses(run);
        Assert.Equal(["distill-1/000005", "distill-1/000010", "distill-2/000005", "distill-2/000010",
            "teacher/000005", "teacher/000010", "teacher/000015", "teacher/000020", "teacher/000025", "teacher/000030"], losses.Keys);
        Assert.True(File.Exists(Path.Combine(run, "models", "student-1steps", "diffusion_pytorch_model.safetensors")));
        Assert.Contains("resuming from", File.ReadAllText(Path.Combine(run, "train.log")));
    }

    [Fact]
    public void BadLaunchSettingsAreOneErrorLine()
    {
        var dir = TestRecipes.TempDir("dp-bad");
        var (code, _, stderr) = Cli.Run([.. Quickstart(dir, 64, 10), "--nproc", "0"], TimeSpan.FromMinutes(1));
        Assert.Equal(1, code);
        Assert.Equal("error: --nproc must be at least 1, got 0", stderr.Trim());

        var psi = Rank(Quickstart(dir, 64, 10), 5, FreePort());
        using var p = Process.Start(psi)!;
        _ = p.StandardOutput.ReadToEndAsync();
        var err = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(1)));
        Assert.Equal(1, p.ExitCode);
        Assert.Equal("error: RANK 5 is not below WORLD_SIZE 2", err.Trim());
    }

    private static ProcessStartInfo Rank(string[] args, int rank, int port, int timeoutSeconds = 20)
    {
        var psi = Cli.StartInfo(args);
        psi.Environment["RANK"] = rank.ToString(CultureInfo.InvariantCulture);
        psi.Environment["LOCAL_RANK"] = psi.Environment["RANK"];
        psi.Environment["WORLD_SIZE"] = "2";
        psi.Environment["MASTER_ADDR"] = "127.0.0.1";
        psi.Environment["MASTER_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        psi.Environment["DISTILLDIFF_DIST_TIMEOUT"] = timeoutSeconds.ToString(CultureInfo.InvariantCulture);
        return psi;
    }

    /// <summary>Loss per (phase, step) from metrics.jsonl; with names, each named value per (phase, name, step).</summary>
    private static SortedDictionary<string, double> Losses(string run, params string[] names)
    {
        var d = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Path.Combine(run, "metrics.jsonl")))
        {
            var o = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(line)!;
            if (names.Length == 0) d[$"{o["phase"].GetString()}/{o["step"].GetInt64():D6}"] = o["loss"].GetDouble();
            foreach (var n in names)
                if (o.TryGetValue(n, out var v) && v.ValueKind == JsonValueKind.Number)
                    d[$"{o["phase"].GetString()}/{n}/{o["step"].GetInt64():D6}"] = v.GetDouble();
        }
        return d;
    }

    private static (double MaxDiff, double MaxAbs) MaxDifference(string a, string b)
    {
        var ta = StateDictFile.Load(a);
        var tb = StateDictFile.Load(b);
        try
        {
            Assert.Equal(ta.Keys.Order(), tb.Keys.Order());
            double diff = 0, abs = 0;
            foreach (var (k, x) in ta)
            {
                using var scope = Torch.NewDisposeScope();
                diff = Math.Max(diff, (x - tb[k]).Abs().Max().Item());
                abs = Math.Max(abs, x.Abs().Max().Item());
            }
            return (diff, abs);
        }
        finally
        {
            StateDictFile.DisposeAll(ta);
            StateDictFile.DisposeAll(tb);
        }
    }

    private static long LatestStep(string run)
    {
        var latest = Path.Combine(run, "state", "latest");
        if (!File.Exists(latest)) return -1;
        var name = File.ReadAllText(latest).Trim();
        return long.TryParse(name.AsSpan("step-".Length, 9), out var s) ? s : -1;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
