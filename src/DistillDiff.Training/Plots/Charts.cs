namespace DistillDiff.Training.Plots;

using System.Globalization;
using ScottPlot;

/// <summary>
/// Line charts through ScottPlot, saved as PNG (for the report and quick viewing) and SVG (vector, for papers):
/// step-count curves, loss curves, learning rate and gradient norm. Log axes are drawn by plotting log₂ x or
/// log₁₀ y and labelling the ticks with the original values (ScottPlot 5 has no native log scale).
/// </summary>
public static class Charts
{
    /// <summary>Writes &lt;pathWithoutExtension&gt;.png and .svg; returns the two paths.</summary>
    public static (string Png, string Svg) Save(string pathWithoutExtension, IReadOnlyList<ChartSeries> series, ChartOptions options)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(pathWithoutExtension));
        if (dir != null) Directory.CreateDirectory(dir);
        var plot = Build(series, options);
        string png = pathWithoutExtension + ".png", svg = pathWithoutExtension + ".svg";
        plot.SavePng(png, options.Width, options.Height);
        plot.SaveSvg(svg, options.Width, options.Height);
        return (png, svg);
    }

    /// <summary>The chart as a ScottPlot <see cref="Plot"/>: one scatter per series (two with smoothing: raw and smoothed).</summary>
    public static Plot Build(IReadOnlyList<ChartSeries> series, ChartOptions options)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(options);
        if (!(options.Smoothing >= 0 && options.Smoothing < 1))
            throw new ArgumentException($"smoothing must be in [0, 1), got {options.Smoothing}", nameof(options));
        foreach (var s in series)
            if (s.X.Length != s.Y.Length)
                throw new ArgumentException($"series '{s.Name}' has {s.X.Length} x values but {s.Y.Length} y values", nameof(series));

        var plot = new Plot();
        plot.Title(options.Title);
        plot.XLabel(options.XLabel);
        plot.YLabel(options.YLabel);
        var palette = new ScottPlot.Palettes.Category10();
        var xs = new List<double>();
        var ys = new List<double>();
        for (var i = 0; i < series.Count; i++)
        {
            var s = series[i];
            var color = palette.GetColor(i);
            var smooth = options.Smoothing > 0 && s.Y.Length > 2;
            var (x, y) = Plottable(s.X, s.Y, options);
            if (x.Length == 0) continue;
            xs.AddRange(x);
            ys.AddRange(y);
            var raw = plot.Add.Scatter(x, y, smooth ? color.WithAlpha(0.25) : color);
            raw.MarkerSize = x.Length <= 32 ? 6 : 0;
            raw.LineWidth = smooth ? 1 : 2;
            if (smooth)
            {
                var (sx, sy) = Plottable(s.X, Smooth(s.Y, options.Smoothing), options);
                var line = plot.Add.Scatter(sx, sy, color);
                line.MarkerSize = 0;
                line.LineWidth = 2;
                line.LegendText = $"{s.Name} (smoothed {options.Smoothing.ToString(CultureInfo.InvariantCulture)})";
            }
            else
            {
                raw.LegendText = s.Name;
            }
        }
        if (options.Log2X) plot.Axes.Bottom.TickGenerator = PowerTicks(xs, 2);
        if (options.LogY) plot.Axes.Left.TickGenerator = DecadeTicks(ys);
        if (series.Count > 0) plot.ShowLegend(Edge.Right); // outside the data area: never hides a point
        return plot;
    }

    /// <summary>TensorBoard's smoothing: an exponential moving average debiased by 1 - wᵏ after k finite values.</summary>
    public static double[] Smooth(double[] y, double weight)
    {
        var result = (double[])y.Clone();
        double last = 0;
        var count = 0;
        for (var i = 0; i < y.Length; i++)
        {
            if (!double.IsFinite(y[i])) continue;
            last = last * weight + (1 - weight) * y[i];
            count++;
            result[i] = last / (1 - Math.Pow(weight, count));
        }
        return result;
    }

    private static (double[] X, double[] Y) Plottable(double[] x, double[] y, ChartOptions o)
    {
        var keep = Enumerable.Range(0, x.Length)
            .Where(i => double.IsFinite(x[i]) && double.IsFinite(y[i]) && (!o.Log2X || x[i] > 0) && (!o.LogY || y[i] > 0)).ToArray();
        return (keep.Select(i => o.Log2X ? Math.Log2(x[i]) : x[i]).ToArray(), keep.Select(i => o.LogY ? Math.Log10(y[i]) : y[i]).ToArray());
    }

    // Labelled ticks at 1, 2 and 5 times each power of ten in range (so a range under one decade still has labels),
    // unlabelled minor ticks at the other integers.
    private static ScottPlot.TickGenerators.NumericManual DecadeTicks(List<double> logs)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        if (logs.Count == 0) return ticks;
        double lo = logs.Min(), hi = logs.Max();
        for (var k = (int)Math.Floor(lo) - 1; k <= (int)Math.Ceiling(hi); k++)
            for (var m = 1; m <= 9; m++)
            {
                var at = k + Math.Log10(m);
                if (at < lo - 0.3 || at > hi + 0.3) continue;
                if (m is 1 or 2 or 5) ticks.AddMajor(at, (m * Math.Pow(10, k)).ToString("G3", CultureInfo.InvariantCulture));
                else ticks.AddMinor(at);
            }
        return ticks;
    }

    // Ticks at every integer log₂ position in range, labelled 2^k (1, 2, 4, ... 1024).
    private static ScottPlot.TickGenerators.NumericManual PowerTicks(List<double> logs, int @base)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        if (logs.Count == 0) return ticks;
        for (var k = (int)Math.Floor(logs.Min()); k <= (int)Math.Ceiling(logs.Max()); k++)
            ticks.AddMajor(k, Math.Pow(@base, k).ToString("G6", CultureInfo.InvariantCulture));
        return ticks;
    }
}
