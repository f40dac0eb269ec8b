namespace DistillDiff.Training.Tests.Evaluation;

using System.Text.Json;
using DistillDiff.Training.Evaluation;
using DistillDiff.Training.Trainers;

public sealed class ModelEvalTests : IDisposable
{
    private readonly string _dir = TestRecipes.TempDir("eval");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string ToyData => Path.Combine(TestRecipes.RepoRoot, "configs", "data", "toy2d.yaml");

    [Fact]
    public void ToyModelsGetARowPerModelAndStepWithMetricsAgreementAndSpeed()
    {
        var teacher = TestModels.Toy(_dir, "teacher", seed: 1);
        var student = TestModels.Toy(_dir, "student-1steps", seed: 2);
        var rows = ModelEval.Run(new ModelEvalOptions
        {
            Folders = [teacher, student], Steps = [1, 4], NumSamples = 300, Teacher = teacher, TeacherSteps = 4,
            DataRecipe = ToyData, SpeedBatches = [1, 8], SpeedRepeats = 1, Device = "cpu",
        }, TextWriter.Null);

        Assert.Equal(["teacher/1", "teacher/4", "student-1steps/1", "student-1steps/4"], rows.Select(r => $"{r.Model}/{r.Steps}"));
        foreach (var r in rows)
        {
            Assert.Equal("toy2d/gaussian_mixture, 300 of 50000 drawn with seed 1234", r.Reference);
            foreach (var k in new[] { "swd", "energy", "mmd", "feature_distance_vs_teacher", "ms_per_sample_b1", "samples_per_s_b8" })
                Assert.True(r.Metrics.ContainsKey(k) && double.IsFinite(r.Metrics[k]), $"{r.Model}/{r.Steps}: {k}");
            Assert.Equal(1000 / r.Metrics["ms_per_sample_b8"], r.Metrics["samples_per_s_b8"], 9);
        }
        // The teacher at its own 4 steps is the agreement target itself: same noise, so zero distance. At 1 step it is not.
        Assert.Equal(0, rows[1].Metrics["feature_distance_vs_teacher"]);
        Assert.True(rows[0].Metrics["feature_distance_vs_teacher"] > 0);

        // Default output: <run>/eval next to the folders' models/.
        var outDir = Path.Combine(_dir, "eval");
        var csv = File.ReadAllLines(Path.Combine(outDir, "eval.csv"));
        Assert.Equal("model,sampler,steps,reference,num_samples,device,energy,feature_distance_vs_teacher,mmd,ms_per_sample_b1,ms_per_sample_b8,samples_per_s_b1,samples_per_s_b8,swd", csv[0]);
        Assert.Equal(5, csv.Length);
        Assert.StartsWith("student-1steps,pd,4,\"toy2d/gaussian_mixture, 300 of 50000 drawn with seed 1234\",300,cpu,", csv[4]);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "eval.json")));
        Assert.Equal(300, json.RootElement.GetProperty("num_samples").GetInt32());
        Assert.Equal(4, json.RootElement.GetProperty("rows").GetArrayLength());
        Assert.True(File.Exists(Path.Combine(outDir, "plots", "step_curve_swd.png")));
        Assert.True(File.Exists(Path.Combine(outDir, "plots", "step_curve_swd.svg")));
        Assert.True(File.Exists(Path.Combine(outDir, "samples", "student-1steps-pd-4steps.png")));
    }

    [Fact]
    public void ImageModelsAreScoredInClassifierFeatureSpaceAndAgreeWithThemselvesAt100Decibels()
    {
        var teacher = TestModels.Image(_dir, "teacher");
        var rows = ModelEval.Run(new ModelEvalOptions
        {
            Folders = [teacher], Steps = [1, 2], NumSamples = 40, Teacher = teacher, TeacherSteps = 2,
            SpeedBatches = [], Device = "cpu", Out = Path.Combine(_dir, "out"),
        }, TextWriter.Null);
        Assert.Equal(2, rows.Count);
        foreach (var k in new[] { "fd", "kid", "precision", "recall", "fd_pool7", "swd_pool7", "psnr_vs_teacher", "feature_distance_vs_teacher" })
            Assert.True(rows[0].Metrics.ContainsKey(k), k);
        Assert.StartsWith("fashion_mnist/test, 40 of 10000 drawn with seed 1234, features fmnist-classifier sha256:", rows[0].Reference);
        Assert.InRange(rows[0].Metrics["precision"], 0, 1);
        Assert.InRange(rows[0].Metrics["recall"], 0, 1);
        // At the teacher's own 2 steps the samples are the teacher's (same noise and labels): PSNR at its 100 dB cap,
        // zero feature distance. At 1 step they differ.
        Assert.Equal(100, rows[1].Metrics["psnr_vs_teacher"], 9);
        Assert.Equal(0, rows[1].Metrics["feature_distance_vs_teacher"]);
        Assert.True(rows[0].Metrics["psnr_vs_teacher"] < 60);
        Assert.DoesNotContain(rows, r => r.Metrics.ContainsKey("ms_per_sample_b1"));
        Assert.True(File.Exists(Path.Combine(_dir, "out", "samples", "teacher-pd-1steps.png")));
    }

    [Fact]
    public void EachModelIsSampledWithItsOwnSamplerUnlessOneIsGiven()
    {
        var teacher = TestModels.Toy(_dir, "teacher", seed: 1);
        var student = TestModels.Toy(_dir, "student-add", seed: 2);
        SetSampler(student, "few_step");
        var common = new ModelEvalOptions { Folders = [teacher, student], Steps = [2], NumSamples = 50, DataRecipe = ToyData, SpeedBatches = [], Device = "cpu" };

        var own = ModelEval.Run(common with { Out = Path.Combine(_dir, "own") }, TextWriter.Null);
        Assert.Equal(["teacher pd", "student-add few_step"], own.Select(r => $"{r.Model} {r.Sampler}"));
        var given = ModelEval.Run(common with { Sampler = "ddim", Out = Path.Combine(_dir, "given") }, TextWriter.Null);
        Assert.Equal(["teacher ddim", "student-add ddim"], given.Select(r => $"{r.Model} {r.Sampler}"));
        // few_step and pd place 2 steps at different times, so the student's own sampler is really the one used.
        Assert.NotEqual(own[1].Metrics["swd"], ModelEval.Run(common with { Folders = [student], Sampler = "pd", Out = Path.Combine(_dir, "pd") }, TextWriter.Null)[0].Metrics["swd"]);

        SetSampler(student, "warp");
        var e = Assert.Throws<InvalidDataException>(() => ModelEval.Run(common with { Out = Path.Combine(_dir, "bad") }, TextWriter.Null));
        Assert.Contains(Path.Combine(student, ModelSetup.InfoFile), e.Message);
        Assert.Contains("sampler 'warp' is not a registered sampler", e.Message);
    }

    private static void SetSampler(string folder, string sampler)
    {
        var path = Path.Combine(folder, ModelSetup.InfoFile);
        var info = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(File.ReadAllText(path))!;
        info["sampler"] = JsonSerializer.SerializeToElement(sampler);
        File.WriteAllText(path, JsonSerializer.Serialize(info));
    }

    [Fact]
    public void CliRefusesBadInputWithOneErrorLine()
    {
        var (code, _, stderr) = Cli.Run(["eval", Path.Combine(_dir, "nope"), "--out", _dir], TimeSpan.FromMinutes(2));
        Assert.Equal(1, code);
        Assert.StartsWith("error: model folder '", stderr);
        Assert.Contains("does not exist", stderr);

        var teacher = TestModels.Toy(_dir, "teacher");
        (code, _, stderr) = Cli.Run(["eval", teacher, "--steps", "1,x"], TimeSpan.FromMinutes(2));
        Assert.Equal(1, code);
        Assert.Equal("error: --steps must be comma-separated positive integers, e.g. 1,2,4,8; got '1,x'", stderr.Trim());
    }
}
