namespace DistillDiff.Training.Tests;

using System.Text.Json;
using DistillDiff.Engine;
using DistillDiff.Recipes;
using DistillDiff.Training.Loop;
using DistillDiff.Training.Trainers;

/// <summary>run.precision and run.channels_last: the same training, in other number formats and layouts.</summary>
public class PrecisionTests
{
    /// <summary>A teacher-only toy run (residual MLP: its Linear layers are on autocast's lower-precision list).</summary>
    private static string ToyTeacher(string dir, int steps, int checkpointEvery = 1000)
    {
        var configs = Path.Combine(TestRecipes.RepoRoot, "configs");
        var path = Path.Combine(dir, "recipe.yaml");
        File.WriteAllText(path, $"""
            include:
              - {configs}/data/toy2d.yaml
              - {configs}/model/mlp.yaml
              - {configs}/diffusion/cosine-v.yaml
            data:
              count: 4096
            model:
              hidden: 64
              blocks: 2
            run:
              name: toy
              output_dir: {dir}
              seed: 4
              threads: 1
              log_every: 25
              checkpoint_every: {checkpointEvery}
              tensor_board: false
            teacher:
              steps: {steps}
              batch_size: 128
              lr: 2e-3
              warmup_steps: 10
            eval:
              steps: [2]
              num_samples: 64
              projections: 16
            """);
        return path;
    }

    private static List<double> Losses(string runDir) =>
        File.ReadLines(Path.Combine(runDir, "metrics.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("loss").GetDouble()).ToList();

    private static List<double> Train(string recipe, params string[] sets)
    {
        using var job = TrainingJob.Start(RecipeLoader.Load(recipe, sets));
        job.Execute();
        return Losses(job.Run.Root);
    }

    private static bool CpuAutocastTrains => Torch.LibTorchVersion >= Engine.Amp.MixedPrecision.MinCpuVersion;

    [Fact]
    public void Bf16TrainingFollowsTheFp32LossCurve()
    {
        var dir = TestRecipes.TempDir("bf16");
        var recipe = ToyTeacher(dir, steps: 200);
        if (!CpuAutocastTrains)
        {
            // libtorch 1.13 (the host's): refused up front with the key and the reason, before anything trains.
            var e = Assert.Throws<RecipeException>(() => TrainingJob.Start(RecipeLoader.Load(recipe, ["run.precision=bf16"])));
            Assert.Contains("run.precision", e.Message);
            Assert.Contains("needs libtorch 2.4", e.Message);
            return;
        }
        var fp32 = Train(recipe, "run.name=fp32");
        var bf16 = Train(recipe, "run.name=bf16", "run.precision=bf16");
        Assert.Equal(8, fp32.Count);
        Assert.Equal(fp32.Count, bf16.Count);
        Assert.NotEqual(fp32, bf16);    // it did compute in bf16
        // Stated tolerance: every logged loss (a mean over 25 steps, same data and noise) within 1% of the fp32 one
        // (measured on libtorch 2.6: at most 0.016%).
        for (var i = 0; i < fp32.Count; i++)
            Assert.True(Math.Abs(bf16[i] - fp32[i]) <= 0.01 * fp32[i], $"logged loss {i}: bf16 {bf16[i]} vs fp32 {fp32[i]}");
        Assert.True(bf16[^1] < 0.9 * bf16[0], $"bf16 loss did not fall: {bf16[0]} -> {bf16[^1]}");
    }

    [Fact]
    public void ChannelsLastUNetTrainsToTheSameLossAndBf16WithIt()
    {
        var dir = TestRecipes.TempDir("channels-last");
        var recipe = Path.Combine(TestRecipes.RepoRoot, "recipes", "fmnist-teacher.yaml");
        string[] small = [$"run.output_dir={dir}", "run.threads=1", "run.log_every=1", "teacher.steps=3", "teacher.batch_size=4",
            "teacher.warmup_steps=1", "eval.num_samples=8", "eval.steps=[1]", "eval.grid_samples=4", "run.tensor_board=false"];
        var plain = Train(recipe, [.. small, "run.name=plain"]);
        var nhwc = Train(recipe, [.. small, "run.name=nhwc", "run.channels_last=true"]);
        Assert.Equal(3, plain.Count);
        for (var i = 0; i < plain.Count; i++)
            Assert.True(Math.Abs(nhwc[i] - plain[i]) <= 1e-4 * plain[i], $"step {i + 1}: channels_last loss {nhwc[i]} vs {plain[i]}");
        if (!CpuAutocastTrains) return;   // bf16 on the CPU needs libtorch 2.4+ (Bf16TrainingFollowsTheFp32LossCurve checks the refusal)
        var mixed = Train(recipe, [.. small, "run.name=mixed", "run.channels_last=true", "run.precision=bf16"]);
        for (var i = 0; i < plain.Count; i++)
            Assert.True(Math.Abs(mixed[i] - plain[i]) <= 0.05 * plain[i], $"step {i + 1}: bf16 loss {mixed[i]} vs fp32 {plain[i]}");
    }

    [Fact]
    public void UnknownPrecisionIsRefusedWithTheKey()
    {
        var dir = TestRecipes.TempDir("precision-key");
        var e = Assert.Throws<RecipeException>(() => TrainingJob.Start(RecipeLoader.Load(ToyTeacher(dir, 10), ["run.precision=fp8"])));
        Assert.Contains("run.precision", e.Message);
        Assert.Contains("[fp32, bf16, fp16]", e.Message);
    }

    [Fact]
    public void Fp16RunsKeepTheLossScalerInCheckpointsOrRefuseWhereLibTorchCannot()
    {
        var dir = TestRecipes.TempDir("fp16");
        var recipe = ToyTeacher(dir, steps: 60, checkpointEvery: 25);
        if (!CpuAutocastTrains)
        {
            // libtorch 1.13's CPU autocast has no float16: refused up front, with the key, before anything trains.
            var e = Assert.Throws<RecipeException>(() => TrainingJob.Start(RecipeLoader.Load(recipe, ["run.precision=fp16"])));
            Assert.Contains("run.precision", e.Message);
            Assert.Contains("float16 autocast on the CPU needs libtorch 2.4", e.Message);
            return;
        }
        var losses = Train(recipe, "run.precision=fp16");
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        var states = Directory.GetDirectories(Path.Combine(dir, "toy", "state"));
        var saved = TrainerState.Load(states.OrderBy(d => d).First());
        Assert.NotNull(saved.LossScaler);
        Assert.True(saved.LossScaler!.Scale > 0);
        var metrics = File.ReadLines(Path.Combine(dir, "toy", "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(metrics, m => Assert.True(m.GetProperty("loss_scale").GetDouble() > 0));
    }

    [Fact]
    public void TrainerStateCarriesTheLossScaler()
    {
        var dir = TestRecipes.TempDir("trainer-state");
        var state = new TrainerState
        {
            Phase = "teacher", Step = 7, GlobalStep = 7, DataOrder = new Data.SamplerState(1, 2), MetricsLines = 1,
            NoiseGenerator = "", DefaultGenerator = "", LossScaler = new Engine.Amp.GradScalerState(2048, 5, 3),
        };
        state.Save(dir);
        Assert.Contains("\"loss_scaler\"", File.ReadAllText(Path.Combine(dir, TrainerState.FileName)));
        Assert.Equal(new Engine.Amp.GradScalerState(2048, 5, 3), TrainerState.Load(dir).LossScaler);
        Assert.Null((state with { LossScaler = null }).LossScaler);
    }
}
