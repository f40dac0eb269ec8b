namespace DistillDiff.Training.Tests.Evaluation;

using System.Text.Json;
using DistillDiff.Engine;
using DistillDiff.Training.Evaluation;

/// <summary>
/// The CUDA-graph sampling path: its static-buffer form draws exactly the eager samples (checked on CPU, where no
/// graph is captured), `--cuda-graphs` falls back to eager on a CPU and refuses "on" with the reason.
/// </summary>
public sealed class SamplingPathTests : IDisposable
{
    private readonly string _dir = TestRecipes.TempDir("sampling-path");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("pd", 1)]
    [InlineData("pd", 4)]
    [InlineData("few_step", 2)]   // draws fresh noise between network calls: the noise stays outside the static call
    [InlineData("dpmpp_2m", 3)]
    public void TheStaticBufferPathSamplesExactlyWhatTheEagerPathSamples(string sampler, int steps)
    {
        using var model = LoadedModel.Load(TestModels.Image(_dir, "student"), Device.CPU);
        using var scope = Torch.NewDisposeScope();
        Tensor Draw(SamplingPath path)
        {
            model.SamplingPath = path;
            using var gen = new Generator(11);
            var labels = Torch.FromArray(new long[] { 3, 1, 4 }, 3);
            return model.Sample(sampler, steps, 3, labels, gen);
        }
        var eager = Draw(SamplingPath.Eager);
        Assert.Equal(0, model.StaticSignatures);
        var viaBuffers = Draw(SamplingPath.StaticBuffers);
        Assert.Equal(1, model.StaticSignatures);   // one batch shape: one set of buffers (one graph on CUDA)
        Assert.True(viaBuffers.Equal(eager), $"{sampler} {steps} steps: static buffers differ from eager by {(viaBuffers - eager).Abs().Max().Item()}");
        Assert.True(Draw(SamplingPath.StaticBuffers).Equal(eager));   // reused buffers, same numbers
    }

    [Fact]
    public void AutoIsEagerOnTheCpuAndOnIsRefusedWithTheReason()
    {
        Assert.Equal(SamplingPath.Eager, SamplingPaths.Resolve("auto", Device.CPU));
        Assert.Equal(SamplingPath.Eager, SamplingPaths.Resolve("off", Device.CPU));
        Assert.Equal(SamplingPath.StaticBuffers, SamplingPaths.Resolve(" Static ", Device.CPU));
        var e = Assert.Throws<ArgumentException>(() => SamplingPaths.Resolve("on", Device.CPU));
        Assert.Contains("--cuda-graphs on: CUDA graphs need a CUDA device", e.Message);
        Assert.Contains("the device is cpu", e.Message);
        e = Assert.Throws<ArgumentException>(() => SamplingPaths.Resolve("yes", Device.CPU));
        Assert.Equal("--cuda-graphs must be auto, on, off or static, got 'yes'", e.Message);
        if (!Torch.Cuda.GraphsSupported)
            Assert.Equal(SamplingPath.Eager, SamplingPaths.Resolve("auto", Device.CUDA(0)));
        else
            Assert.Equal(SamplingPath.CudaGraph, SamplingPaths.Resolve("auto", Device.CUDA(0)));
    }

    [Fact]
    public void SampleCommandSaysWhichPathRanAndTheStaticPathWritesTheSamePicture()
    {
        var folder = TestModels.Image(_dir, "student");
        string Sample(string graphs, string png)
        {
            var (code, stdout, stderr) = Cli.Run(["sample", folder, "--steps", "2", "--count", "4", "--device", "cpu", "--label", "2",
                "--cuda-graphs", graphs, "--out", Path.Combine(_dir, png)], TimeSpan.FromMinutes(1));
            Assert.True(code == 0, stderr);
            return stdout;
        }
        Assert.Contains("(pd, eager on cpu)", Sample("auto", "auto.png"));
        Assert.Contains("(pd, static_buffers on cpu)", Sample("static", "static.png"));
        Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "auto.png")), File.ReadAllBytes(Path.Combine(_dir, "static.png")));

        var refused = Cli.Run(["sample", folder, "--steps", "1", "--device", "cpu", "--cuda-graphs", "on", "--out", Path.Combine(_dir, "on.png")],
            TimeSpan.FromMinutes(1));
        Assert.Equal(1, refused.Code);
        var error = Assert.Single(Cli.ErrorLines(refused.Stderr));
        Assert.StartsWith("error: --cuda-graphs on: CUDA graphs need a CUDA device", error);
        Assert.False(File.Exists(Path.Combine(_dir, "on.png")));
    }

    [Fact]
    public void EvalRecordsThePathItSampledWith()
    {
        var student = TestModels.Toy(_dir, "student-1steps");
        ModelEval.Run(new ModelEvalOptions
        {
            Folders = [student], Steps = [1], NumSamples = 50, SpeedBatches = [], Device = "cpu", CudaGraphs = "static",
            DataRecipe = Path.Combine(TestRecipes.RepoRoot, "configs", "data", "toy2d.yaml"),
        }, TextWriter.Null);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "eval", "eval.json")));
        Assert.Equal("static_buffers", json.RootElement.GetProperty("sampling").GetString());
    }
}
