namespace DistillDiff.Training.Tests.Plots;

using System.Buffers.Binary;
using System.Xml.Linq;
using DistillDiff.Training.Methods;
using DistillDiff.Training.Plots;
using DistillDiff.Training.Runs;
using ScottPlot.Plottables;

public sealed class ChartsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dd-charts-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Width, int Height) PngSize(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10 }, bytes[..8]);
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    private static string SvgText(string path) =>
        string.Join("\n", XDocument.Load(path).Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value.Trim()));

    [Fact]
    public void StepCurveIsWrittenAsPngAndSvgWithALineAndLegendPerModel()
    {
        ChartSeries[] series =
        [
            new("teacher (ddim)", [1, 2, 4, 8, 16], [40, 20, 9, 5, 4]),
            new("teacher (dpmpp_2m)", [1, 2, 4, 8, 16], [30, 12, 6, 4.5, 4]),
            new("student-4steps (pd)", [4], [5.5]),
        ];
        var (png, svg) = Charts.Save(Path.Combine(_dir, "step_curve_fd"), series,
            new ChartOptions("fd against steps", "sampling steps", "fd", Log2X: true, LogY: true, Width: 900, Height: 500));
        Assert.Equal((900, 500), PngSize(png));
        Assert.True(new FileInfo(png).Length > 5000, "a PNG with lines and text is more than a few bytes");
        var text = SvgText(svg);
        foreach (var s in series) Assert.Contains(s.Name, text);
        foreach (var tick in new[] { "1", "2", "4", "8", "16" }) Assert.Contains($"\n{tick}\n", $"\n{text}\n");
        Assert.Contains("sampling steps", text);
    }

    [Fact]
    public void LogAxesPlotLogarithmsAndDropPointsTheyCannotShow()
    {
        var plot = Charts.Build([new ChartSeries("s", [1, 2, 4, 8], [100, 10, -1, double.NaN])],
            new ChartOptions("t", "x", "y", Log2X: true, LogY: true));
        var scatter = Assert.Single(plot.GetPlottables().OfType<Scatter>());
        var points = scatter.Data.GetScatterPoints();
        Assert.Equal(2, points.Count); // -1 and NaN have no logarithm
        Assert.Equal((0.0, 2.0), (points[0].X, points[0].Y), new TupleComparer());
        Assert.Equal((1.0, 1.0), (points[1].X, points[1].Y), new TupleComparer());
    }

    [Fact]
    public void SmoothingDrawsRawAndSmoothedLinesWithTensorBoardsDebiasedAverage()
    {
        var plot = Charts.Build([new ChartSeries("loss", [0, 1, 2], [1, 3, 3])], new ChartOptions("t", "step", "loss", Smoothing: 0.5));
        var scatters = plot.GetPlottables().OfType<Scatter>().ToList();
        Assert.Equal(2, scatters.Count);
        Assert.Equal("loss (smoothed 0.5)", scatters[1].LegendText);
        // EMA 0.5: 0.5, 0.5·0.5 + 1.5 = 1.75, 0.875 + 1.5 = 2.375; debiased by 1 - 0.5^k: 1, 1.75/0.75, 2.375/0.875.
        var smoothed = scatters[1].Data.GetScatterPoints().Select(p => p.Y).ToArray();
        Assert.Equal([1, 1.75 / 0.75, 2.375 / 0.875], smoothed, new ToleranceComparer());
    }

    [Fact]
    public void BadSeriesAreRefusedWithTheirName()
    {
        var e = Assert.Throws<ArgumentException>(() => Charts.Build([new ChartSeries("short", [0, 1], [1])], new ChartOptions("t", "x", "y")));
        Assert.Contains("series 'short' has 2 x values but 1 y values", e.Message);
        Assert.Throws<ArgumentException>(() => Charts.Build([], new ChartOptions("t", "x", "y", Smoothing: 1)));
    }

    [Fact]
    public void LossPlotsDrawEveryNamedLossLearningRateAndGradNormPerPlot()
    {
        var rows = new List<(string Phase, long Step, Dictionary<string, double> Values)>();
        for (var i = 1; i <= 5; i++)
        {
            rows.Add(("teacher", i, new() { ["loss"] = 1.0 / i, ["lr"] = 1e-3, ["grad_norm"] = 2.0 / i }));
            rows.Add(("distill-2", i, new() { ["loss"] = 0.5 / i, ["lr"] = 1e-4 }));
            rows.Add(("distill-1", i, new() { ["loss"] = 0.7 / i, ["lr"] = 1e-4 }));
            rows.Add(("add", i, new() { ["generator"] = 1, ["discriminator"] = 0.7, ["r1"] = 0.01 * i, ["lr_generator"] = 1e-5, ["lr_discriminator"] = 2e-5 }));
        }
        (string, LossPlot)[] phases =
        [
            ("teacher", new LossPlot("loss_teacher.svg", "teacher training loss", "teacher")),
            ("distill-2", new LossPlot("loss_distill.svg", "progressive distillation", "2-step student")),
            ("distill-1", new LossPlot("loss_distill.svg", "progressive distillation", "1-step student")),
            ("add", new LossPlot("loss_add.svg", "adversarial distillation", "student", LogY: false)),
        ];
        var charts = LossPlots.Charts(rows, phases).ToDictionary(c => c.Name);
        Assert.Equal(
            new[] { "loss_teacher", "lr_teacher", "grad_norm_teacher", "loss_distill", "lr_distill", "loss_add", "lr_add",
                "loss_add_generator", "loss_add_discriminator", "loss_add_r1" }.Order(),
            charts.Keys.Order());
        Assert.Equal(["2-step student", "1-step student"], charts["loss_distill"].Series.Select(s => s.Name));
        Assert.Equal(["generator", "discriminator", "r1"], charts["loss_add"].Series.Select(s => s.Name));
        Assert.Equal(["lr_generator", "lr_discriminator"], charts["lr_add"].Series.Select(s => s.Name));
        Assert.True(charts["loss_teacher"].Options.LogY);
        Assert.False(charts["loss_add"].Options.LogY);
        Assert.Equal(LossPlots.Smoothing, charts["loss_teacher"].Options.Smoothing);
        Assert.False(charts["lr_teacher"].Options.LogY);
        Assert.True(charts["grad_norm_teacher"].Options.LogY);
        Assert.Equal([1.0, 2, 3, 4, 5], charts["loss_add"].Series[2].X);
        // Several losses of one phase: each also on its own axis (r1 is 0.01..0.05 under a generator loss of 1).
        Assert.Equal(["r1"], charts["loss_add_r1"].Series.Select(s => s.Name));
        Assert.Equal([0.01, 0.02, 0.03, 0.04, 0.05], charts["loss_add_r1"].Series[0].Y);
        Assert.False(charts["loss_add_r1"].Options.LogY);       // positive but within a decade
        Assert.False(charts["loss_add_generator"].Options.LogY);

        var run = new RunDirectory(Path.Combine(_dir, "run"));
        File.WriteAllLines(run.Metrics, rows.Select(r =>
            $"{{\"phase\":\"{r.Phase}\",\"step\":{r.Step},\"global_step\":{r.Step},\"time\":0,{string.Join(",", r.Values.Select(kv => $"\"{kv.Key}\":{kv.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}"))}}}"));
        LossPlots.Save(run, phases);
        foreach (var name in charts.Keys)
        {
            Assert.True(File.Exists(Path.Combine(run.Plots, name + ".png")), name);
            Assert.True(File.Exists(Path.Combine(run.Plots, name + ".svg")), name);
        }
        Assert.Contains("1-step student (smoothed 0.8)", SvgText(Path.Combine(run.Plots, "loss_distill.svg")));
    }

    [Fact]
    public void DensityChartShowsSamplesAgainstData()
    {
        float[] samples = [0, 0, 0.1f, 0.1f, 2, 2];
        float[] data = [0, 0, 2, 2];
        var plot = DensityChart.Build(samples, data, "toy");
        Assert.Single(plot.GetPlottables().OfType<Heatmap>());
        Assert.Equal(2, plot.GetPlottables().OfType<Scatter>().Single().Data.GetScatterPoints().Count);
        var (png, svg) = DensityChart.Save(Path.Combine(_dir, "density"), samples, data, "toy");
        Assert.Equal((800, 800), PngSize(png));
        Assert.Contains("data (2)", SvgText(svg));
    }

    private sealed class TupleComparer : IEqualityComparer<(double, double)>
    {
        public bool Equals((double, double) a, (double, double) b) => Math.Abs(a.Item1 - b.Item1) < 1e-12 && Math.Abs(a.Item2 - b.Item2) < 1e-12;
        public int GetHashCode((double, double) obj) => 0;
    }

    private sealed class ToleranceComparer : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) < 1e-12;
        public int GetHashCode(double obj) => 0;
    }
}
