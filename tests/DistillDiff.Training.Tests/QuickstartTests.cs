namespace DistillDiff.Training.Tests;

using DistillDiff.Engine;
using DistillDiff.Formats.TensorBoard;
using DistillDiff.Models.Checkpoints;
using DistillDiff.Recipes;
using DistillDiff.Training.Trainers;

/// <summary>
/// recipes/quickstart.yaml end to end with small settings. The claim it checks: the 1-step student is measurably
/// closer to the data than the teacher sampled with 1 DDIM step, by the sliced Wasserstein-2 distance to 600 data
/// points (and by energy distance).
/// </summary>
public class QuickstartTests
{
    [Fact]
    public void OneStepStudentBeatsOneStepTeacher()
    {
        var dir = TestRecipes.TempDir("quickstart");
        var recipe = RecipeLoader.Load(Path.Combine(TestRecipes.RepoRoot, "recipes", "quickstart.yaml"),
        [
            $"run.output_dir={dir}", "run.threads=1", "run.log_every=50",
            "teacher.steps=800", "distill.start_steps=8", "distill.updates_per_round=200",
            "eval.num_samples=600", "eval.steps=[1,2,4,8]", "eval.projections=128",
        ]);
        using (var job = TrainingJob.Start(recipe))
        {
            var curve = job.Execute();
            var teacher1 = curve.Points.Single(p => p.Model == "teacher" && p.Steps == 1).Metrics;
            var student1 = curve.Points.Single(p => p.Model == "student-1steps" && p.Steps == 1).Metrics;
            Assert.True(student1["swd"] < 0.5 * teacher1["swd"], $"1-step student swd {student1["swd"]} vs 1-step teacher {teacher1["swd"]}");
            Assert.True(student1["energy"] < 0.5 * teacher1["energy"], $"1-step student energy {student1["energy"]} vs 1-step teacher {teacher1["energy"]}");
        }

        var run = Path.Combine(dir, "quickstart");
        foreach (var f in new[] { "config.yaml", "train.log", "log.jsonl", "metrics.jsonl", "step_curve.json",
                     "plots/step_curve_swd.svg", "plots/loss_teacher.svg", "plots/loss_distill.svg", "samples/student-1steps-1steps.png" })
            Assert.True(File.Exists(Path.Combine(run, f)), $"{f} missing");
        var events = Directory.GetFiles(Path.Combine(run, "tensorboard"), "events.out.tfevents.*").Single();
        Assert.Contains(TensorBoardReader.Read(events), e => e.Values.Any(v => v.Tag == "distill-1/loss"));

        // Each student is a loadable diffusers-layout folder, and `distilldiff sample` uses it.
        var (model, _) = ModelFolder.Load(Path.Combine(run, "models", "student-1steps"), Device.CPU);
        model.Dispose();
        var png = Path.Combine(dir, "one-step.png");
        var (code, stdout, stderr) = Cli.Run(["sample", Path.Combine(run, "models", "student-1steps"), "--steps", "1", "--out", png, "--count", "256"], TimeSpan.FromMinutes(1));
        Assert.True(code == 0, stderr);
        Assert.Contains("256 samples", stdout);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(png)[..4]);
    }

    [Fact]
    public void DivergingRunStopsWithAClearMessageAndKeepsItsLastGoodCheckpoint()
    {
        var dir = TestRecipes.TempDir("diverge");
        var recipe = TestRecipes.Toy(dir);
        var (code, _, stderr) = Cli.Run(["train", recipe, "--set", "teacher.lr=1e30", "--set", "teacher.warmup_steps=0",
            "--set", "teacher.grad_clip=0", "--set", "run.log_every=1", "--set", "run.checkpoint_every=1"], TimeSpan.FromMinutes(1));
        Assert.Equal(1, code);
        Assert.Matches(@"error: teacher: the loss became (NaN|∞|-∞|Infinity|-Infinity) at step \d+\. The last good checkpoint is .*state/step-\d+", stderr.Trim());
        Assert.Contains($"in {Path.Combine(dir, "toy", "config.yaml")} and run `distilldiff resume {Path.Combine(dir, "toy")}`", stderr);
        var latest = File.ReadAllText(Path.Combine(dir, "toy", "state", "latest")).Trim();
        var weights = DistillDiff.Engine.Serialization.StateDictFile.Load(Path.Combine(dir, "toy", "state", latest, "model.safetensors"));
        try
        {
            Assert.True(Torch.AllFinite(weights.Values.ToList()), "the kept checkpoint must hold finite weights");
        }
        finally
        {
            DistillDiff.Engine.Serialization.StateDictFile.DisposeAll(weights);
        }
    }
}
