namespace DistillDiff.Training.Tests.Reports;

using System.Text.RegularExpressions;
using DistillDiff.Training.Evaluation;
using DistillDiff.Training.Methods;
using DistillDiff.Training.Reports;
using DistillDiff.Training.Runs;
using SkiaSharp;

public sealed partial class RunReportTests : IDisposable
{
    private readonly string _dir = TestRecipes.TempDir("report");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [GeneratedRegex("src=\"([^\"]*)\"")]
    private static partial Regex Sources();

    /// <summary>A run folder as training and `distilldiff eval` leave it: recipe, log, metrics, plots, samples, eval/.</summary>
    private string MakeRun()
    {
        var run = new RunDirectory(Path.Combine(_dir, "run"));
        File.WriteAllText(run.Config, "run:\n  name: report-test\ndata:\n  type: toy2d\n  kind: gaussian_mixture\n");
        File.WriteAllText(run.Log, "2026-01-01 00:00:00.000 [INF] run x | libtorch 1.13.0 | device cpu | 1 threads | data toy2d\n");
        File.WriteAllLines(run.Metrics, Enumerable.Range(1, 20).Select(i =>
            $"{{\"phase\":\"teacher\",\"step\":{i * 10},\"global_step\":{i * 10},\"time\":{1000 + i},\"loss\":{1.0 / i},\"lr\":0.001,\"grad_norm\":{2.0 / i}}}"));
        LossPlots.Save(run, [("teacher", new LossPlot("loss_teacher.svg", "teacher training loss", "teacher"))]);
        var teacher = TestModels.Toy(run.Root, "teacher");
        ModelEval.Run(new ModelEvalOptions
        {
            Folders = [teacher], Steps = [1, 2], NumSamples = 200, DataRecipe = Path.Combine(TestRecipes.RepoRoot, "configs", "data", "toy2d.yaml"),
            SpeedBatches = [1], SpeedRepeats = 1, Device = "cpu",
        }, TextWriter.Null);
        return run.Root;
    }

    [Fact]
    public void ReportIsOneSelfContainedPageWithEverySection()
    {
        var root = MakeRun();
        var html = File.ReadAllText(RunReport.Write(root));
        foreach (var section in new[] { "Recipe", "Environment", "Timings", "Metrics", "Plots", "Samples" })
            Assert.Contains($"<h2>{section}</h2>", html);
        Assert.Contains("kind: gaussian_mixture", html);           // the recipe
        Assert.Contains("toy2d/gaussian_mixture, 200 of 50000 drawn with seed 1234", html);    // the reference set next to the numbers
        Assert.Contains("ms_per_sample_b1", html);                  // timings
        Assert.Contains("plots/loss_teacher.png", html);
        Assert.Contains("eval/samples/teacher-pd-2steps.png", html);
        var sources = Sources().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.True(sources.Count >= 6, $"{sources.Count} images");
        Assert.All(sources, s => Assert.StartsWith("data:image/png;base64,", s)); // nothing to fetch: opens offline
        Assert.DoesNotContain("<script", html);
    }

    [Fact]
    public void HeadlessChromiumRendersTheReportWithoutConsoleErrorsAndTheScreenshotIsNotBlank()
    {
        var root = MakeRun();
        var page = RunReport.Write(root);
        var shot = Path.Combine(_dir, "report.png");
        var console = HeadlessChromium.Render(page, shot);
        Assert.Empty(console);
        using var bitmap = SKBitmap.Decode(shot);
        Assert.Equal(1280, bitmap.Width);
        var pixels = bitmap.Pixels;
        var nonWhite = pixels.Count(p => p.Red < 240 || p.Green < 240 || p.Blue < 240) / (double)pixels.Length;
        var colours = pixels.Select(p => (uint)p).Distinct().Count();
        Assert.True(nonWhite > 0.03, $"only {nonWhite:P1} of the screenshot is not white");
        Assert.True(colours > 50, $"only {colours} distinct colours: text, tables and plots make many more");
    }

    [Fact]
    public void TheConsoleCheckSeesErrors()
    {
        // The check above must be able to fail: a page that logs an error is caught.
        var page = Path.Combine(_dir, "bad.html");
        File.WriteAllText(page, "<html><body><p>x</p><script>console.error('broken report')</script></body></html>");
        var console = HeadlessChromium.Render(page, Path.Combine(_dir, "bad.png"), 400, 300);
        Assert.Contains(console, l => l.Contains("broken report", StringComparison.Ordinal));
    }

    [Fact]
    public void CliRefusesAFolderThatIsNotARun()
    {
        var (code, _, stderr) = Cli.Run(["report", _dir], TimeSpan.FromMinutes(2));
        Assert.Equal(1, code);
        Assert.StartsWith($"error: '{_dir}' is not a run folder", stderr);
    }
}
