namespace DistillDiff.Training.Tests;

using System.Diagnostics;
using System.Text.Json;

/// <summary>
/// A run killed with SIGKILL (twice: once while training the teacher, once inside a distillation round) and resumed
/// ends with byte-identical model files, and the same metrics log, as a run that was never interrupted.
/// </summary>
public class ResumeTests
{
    [Fact]
    public void KilledRunResumesToTheSameFinalWeights()
    {
        var timeout = TimeSpan.FromMinutes(4);
        var dirA = TestRecipes.TempDir("resume-a");
        var (codeA, _, errA) = Cli.Run(["train", TestRecipes.Toy(dirA, checkpointEvery: 40)], timeout);
        Assert.True(codeA == 0, errA);

        var dirB = TestRecipes.TempDir("resume-b");
        var recipeB = TestRecipes.Toy(dirB, checkpointEvery: 40);
        var runB = Path.Combine(dirB, "toy");
        KillWhenCheckpointed(["train", recipeB], runB, minGlobalStep: 120);   // inside teacher training (400 steps)
        KillWhenCheckpointed(["resume", runB], runB, minGlobalStep: 480);     // inside the 8 -> 4 round
        var (codeB, _, errB) = Cli.Run(["resume", runB], timeout);
        Assert.True(codeB == 0, errB);

        var runA = Path.Combine(dirA, "toy");
        var models = new[] { "teacher", "student-4steps", "student-2steps", "student-1steps" };
        foreach (var m in models)
        {
            var file = Path.Combine("models", m, "diffusion_pytorch_model.safetensors");
            Assert.True(File.ReadAllBytes(Path.Combine(runA, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(runB, file))),
                $"{file} differs between the uninterrupted and the resumed run");
        }
        Assert.Equal(MetricsWithoutTime(runA), MetricsWithoutTime(runB));
    }

    internal static void KillWhenCheckpointed(string[] args, string runDir, long minGlobalStep)
    {
        using var p = Process.Start(Cli.StartInfo(args))!;
        p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (LatestGlobalStep(runDir) < minGlobalStep)
        {
            Assert.False(p.HasExited, $"the run ended (code {(p.HasExited ? p.ExitCode : 0)}) before step {minGlobalStep}: {stderr.Result}");
            Assert.True(DateTime.UtcNow < deadline, "no checkpoint in time");
            Thread.Sleep(10);
        }
        p.Kill(entireProcessTree: true); // SIGKILL: no cleanup runs
        p.WaitForExit();
    }

    private static long LatestGlobalStep(string runDir)
    {
        var latest = Path.Combine(runDir, "state", "latest");
        if (!File.Exists(latest)) return -1;
        var name = File.ReadAllText(latest).Trim();
        // step-<9 digits>, with a -k suffix for a second checkpoint at the same step.
        return long.TryParse(name.AsSpan("step-".Length, 9), out var s) ? s : -1;
    }

    internal static List<string> MetricsWithoutTime(string runDir) =>
        File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl")).Select(line =>
        {
            var o = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(line)!;
            o.Remove("time");
            return JsonSerializer.Serialize(o);
        }).ToList();
}
