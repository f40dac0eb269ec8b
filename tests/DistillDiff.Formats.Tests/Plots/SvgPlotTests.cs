using System.Xml.Linq;
using DistillDiff.Formats.Plots;

namespace DistillDiff.Formats.Tests.Plots;

public sealed class SvgPlotTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private static readonly PlotOptions Options = new("Loss", "step", "loss");

    private static SvgInspector Render(PlotOptions options, params PlotSeries[] series) => new(SvgPlot.Render(series, options));

    private static double[] Range(int count, Func<int, double> f) => Enumerable.Range(0, count).Select(f).ToArray();

    [Fact]
    public void PointsMapLinearlyIntoThePlotRectangleInOrder()
    {
        double[] x = Range(10, i => 100 * i);
        double[] y = Range(10, i => i * i);
        SvgInspector plot = Render(Options, new PlotSeries("train", x, y));

        List<(double X, double Y)> points = plot.Points("train");
        Assert.Equal(10, points.Count);
        Assert.All(points, plot.AssertInside);
        for (int i = 1; i < points.Count; i++)
        {
            Assert.True(points[i].X > points[i - 1].X, "x grows to the right");
            Assert.True(points[i].Y < points[i - 1].Y, "larger values are drawn higher (smaller SVG y)");
            // Linear axes: pixel offsets are proportional to value offsets (coordinates are rounded to 0.01 px).
            Assert.Equal(x[i] / x[9], (points[i].X - points[0].X) / (points[9].X - points[0].X), 3);
            Assert.Equal(y[i] / y[9], (points[0].Y - points[i].Y) / (points[0].Y - points[9].Y), 3);
        }
    }

    [Fact]
    public void TicksStepByNiceValuesAndAreLabelledCompactly()
    {
        SvgInspector plot = Render(Options, new PlotSeries("s", [0, 1000], [0, 1]));
        Assert.Equal(["0", "200", "400", "600", "800", "1k"], plot.TickLabels("x"));
        Assert.Equal([0, 200, 400, 600, 800, 1000], plot.TickValues("x"));
        Assert.Equal(["0", "0.2", "0.4", "0.6", "0.8", "1"], plot.TickLabels("y"));

        plot = Render(Options, new PlotSeries("s", [0, 10000], [0, 0.25]));
        Assert.Equal(["0", "2k", "4k", "6k", "8k", "10k"], plot.TickLabels("x"));
        Assert.Equal(["0", "0.05", "0.1", "0.15", "0.2", "0.25"], plot.TickLabels("y"));

        plot = Render(Options, new PlotSeries("s", [1000, 3500], [1e-4, 5e-4]));
        Assert.Equal(["1k", "1.5k", "2k", "2.5k", "3k", "3.5k"], plot.TickLabels("x"));
        Assert.Equal(["1e-4", "2e-4", "3e-4", "4e-4", "5e-4"], plot.TickLabels("y"));
    }

    [Fact]
    public void TickValuesLieInsideThePlotAndGridlinesAreDrawn()
    {
        SvgInspector plot = Render(Options, new PlotSeries("s", [3, 47], [0.013, 0.092]));
        Assert.InRange(plot.TickValues("x").Length, 4, 10);
        Assert.InRange(plot.TickValues("y").Length, 4, 10);
        foreach (XElement line in plot.ByClass("g", "grid").Single().Elements(Svg + "line"))
        {
            Assert.InRange(double.Parse((string)line.Attribute("x1")!), plot.Left, plot.Right);
            Assert.InRange(double.Parse((string)line.Attribute("y1")!), plot.Top, plot.Bottom);
        }
        Assert.Equal(plot.TickValues("x").Length + plot.TickValues("y").Length,
            plot.ByClass("g", "grid").Single().Elements(Svg + "line").Count());
    }

    [Fact]
    public void LogYPlacesDecadesEvenlyAndLabelsPowersOfTen()
    {
        double[] y = Range(5, i => Math.Pow(10, -i)); // 1 .. 1e-4
        SvgInspector plot = Render(Options with { LogY = true }, new PlotSeries("s", Range(5, i => i), y));

        Assert.Equal(["1e-4", "0.001", "0.01", "0.1", "1"], plot.TickLabels("y"));
        List<(double X, double Y)> points = plot.Points("s");
        double decade = points[1].Y - points[0].Y;
        Assert.True(decade > 0);
        for (int i = 1; i < points.Count; i++)
            Assert.Equal(decade, points[i].Y - points[i - 1].Y, 0.03);
    }

    [Fact]
    public void LogYOverLessThanThreeDecadesAddsTwoAndFiveMultiples()
    {
        SvgInspector plot = Render(Options with { LogY = true }, new PlotSeries("s", [0, 1], [0.03, 0.6]));
        Assert.Equal(["0.05", "0.1", "0.2", "0.5"], plot.TickLabels("y"));
    }

    [Fact]
    public void LogXWithPowersOfTwoUsesPowerOfTwoTicks()
    {
        double[] steps = [1, 2, 4, 8, 16, 32, 64];
        SvgInspector plot = Render(Options with { LogX = true, XLabel = "sampling steps" }, new PlotSeries("fid", steps, [40, 21, 12, 8, 6, 5.5, 5.2]));
        Assert.Equal(["1", "2", "4", "8", "16", "32", "64"], plot.TickLabels("x"));

        List<(double X, double Y)> points = plot.Points("fid");
        for (int i = 2; i < points.Count; i++)
            Assert.Equal(points[1].X - points[0].X, points[i].X - points[i - 1].X, 0.03);
    }

    [Fact]
    public void LogXWithOtherValuesUsesDecades()
    {
        SvgInspector plot = Render(Options with { LogX = true }, new PlotSeries("s", [10, 300, 100000], [1, 2, 3]));
        Assert.Equal(["10", "100", "1k", "10k", "100k"], plot.TickLabels("x"));
    }

    [Fact]
    public void NonFiniteAndUnplottablePointsBreakTheLine()
    {
        SvgInspector plot = Render(Options with { LogY = true },
            new PlotSeries("s", [0, 1, 2, 3, 4, 5, 6], [1, 2, double.NaN, 4, 0, 6, double.PositiveInfinity]));

        XElement path = plot.Series("s").Elements(Svg + "path").Single();
        List<List<(double X, double Y)>> segments = SvgInspector.Segments(path);
        Assert.Equal([2, 1, 1], segments.Select(s => s.Count));
        Assert.All(segments.SelectMany(s => s), plot.AssertInside);
        Assert.Equal(4, plot.Series("s").Elements(Svg + "circle").Count());
    }

    [Fact]
    public void TextIsEscapedAndInvalidXmlCharactersAreReplaced()
    {
        const string title = "a < b & c > \"d\" 'e' ]]>";
        string svg = SvgPlot.Render([new PlotSeries("<script>alert(1)</script>", [0, 1], [0, 1])],
            new PlotOptions(title, "x \u0001 bell", "y & z"));
        var plot = new SvgInspector(svg);
        Assert.Equal(title, plot.ByClass("text", "title").Single().Value);
        Assert.Equal("x \uFFFD bell", plot.ByClass("text", "x-label").Single().Value);
        Assert.Equal("y & z", plot.ByClass("text", "y-label").Single().Value);
        Assert.Equal("<script>alert(1)</script>", plot.ByClass("text", "legend-label").Single().Value);
        Assert.Empty(plot.Document.Descendants(Svg + "script"));
    }

    [Fact]
    public void EmptySeriesAndEmptyPlotsAreTolerated()
    {
        SvgInspector plot = Render(Options, new PlotSeries("empty", [], []), new PlotSeries("one", [5], [2]));
        Assert.Empty(plot.Series("empty").Elements(Svg + "path"));
        plot.AssertInside(plot.Points("one").Single());

        plot = Render(Options);
        Assert.Equal(["0", "0.2", "0.4", "0.6", "0.8", "1"], plot.TickLabels("x"));
        Assert.Empty(plot.ByClass("g", "legend"));
    }

    [Fact]
    public void ConstantSeriesIsDrawnMidAxisWithTicksAroundIt()
    {
        SvgInspector plot = Render(Options, new PlotSeries("flat", [0, 1, 2, 3], [0.7, 0.7, 0.7, 0.7]));
        List<(double X, double Y)> points = plot.Points("flat");
        Assert.All(points, p => Assert.Equal((plot.Top + plot.Bottom) / 2, p.Y, 0.02));
        double[] ticks = plot.TickValues("y");
        Assert.True(ticks.Length >= 3);
        Assert.Contains(ticks, t => t < 0.7);
        Assert.Contains(ticks, t => t > 0.7);
    }

    [Fact]
    public void MarkersOnlyForSeriesWithFewPointsAndColoursAreDistinct()
    {
        SvgInspector plot = Render(Options,
            new PlotSeries("few", Range(29, i => i), Range(29, i => i)),
            new PlotSeries("many", Range(100, i => i), Range(100, i => -i)),
            new PlotSeries("third", [0, 50], [3, 4]));
        Assert.Equal(29, plot.Series("few").Elements(Svg + "circle").Count(c => (string?)c.Attribute("class") == "marker"));
        Assert.Empty(plot.Series("many").Elements(Svg + "circle"));
        string[] colours = new[] { "few", "many", "third" }.Select(n => (string)plot.Series(n).Attribute("stroke")!).ToArray();
        Assert.Equal(3, colours.Distinct().Count());
        Assert.Equal(["few", "many", "third"], plot.ByClass("text", "legend-label").Select(t => t.Value));
    }

    [Fact]
    public void SmoothingDrawsTensorBoardsDebiasedEmaOverAFaintRawLine()
    {
        SvgInspector plot = Render(Options with { Smoothing = 0.5 }, new PlotSeries("s", [0, 1, 2], [1, 3, 3]));
        XElement raw = plot.Series("s").Elements(Svg + "path").Single(p => (string?)p.Attribute("class") == "raw");
        Assert.Equal("0.25", (string?)raw.Attribute("stroke-opacity"));

        List<(double X, double Y)> rawPoints = plot.Points("s", "raw");
        List<(double X, double Y)> smooth = plot.Points("s");
        double PixelOf(double value) => rawPoints[0].Y + (value - 1) / 2 * (rawPoints[1].Y - rawPoints[0].Y);
        // weight 0.5: EMA 0.5, 1.75, 2.375 divided by 1 - 0.5^n (0.5, 0.75, 0.875): 1, 7/3, 19/7.
        Assert.Equal(PixelOf(1), smooth[0].Y, 0.03);
        Assert.Equal(PixelOf(7.0 / 3), smooth[1].Y, 0.03);
        Assert.Equal(PixelOf(19.0 / 7), smooth[2].Y, 0.03);
    }

    [Fact]
    public void InvalidInputIsRefusedWithAnExplanation()
    {
        var e = Assert.Throws<ArgumentException>(() => SvgPlot.Render([new PlotSeries("bad", [1, 2], [1])], Options));
        Assert.Contains("Series 'bad' has 2 x values but 1 y values", e.Message);
        Assert.Throws<ArgumentException>(() => SvgPlot.Render([], Options with { Smoothing = 1 }));
    }

    [Fact]
    public void SaveWritesTheRenderedDocument()
    {
        using var dir = new TempDirectory();
        string path = dir.File("loss.svg");
        PlotSeries[] series = [new("s", [0, 1], [2, 3])];
        SvgPlot.Save(path, series, Options);
        Assert.Equal(SvgPlot.Render(series, Options), File.ReadAllText(path));
        Assert.Equal(["loss.svg"], dir.Entries());
    }
}
