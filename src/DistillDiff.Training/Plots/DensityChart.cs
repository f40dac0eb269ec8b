namespace DistillDiff.Training.Plots;

using ScottPlot;

/// <summary>
/// 2-D samples against the data: a heatmap of the samples' density on a grid over [-extent, extent]², with the
/// data drawn over it as small markers, saved as PNG and SVG (large enough to see the modes: 800 px by default).
/// </summary>
public static class DensityChart
{
    public const int Bins = 64;

    /// <param name="samples">Interleaved x, y of the samples.</param>
    /// <param name="data">Interleaved x, y of data points (at most the first 2,000 are drawn).</param>
    public static (string Png, string Svg) Save(string pathWithoutExtension, float[] samples, float[] data, string title, double extent = 3.0, int size = 800)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(pathWithoutExtension));
        if (dir != null) Directory.CreateDirectory(dir);
        var plot = Build(samples, data, title, extent);
        string png = pathWithoutExtension + ".png", svg = pathWithoutExtension + ".svg";
        plot.SavePng(png, size, size);
        plot.SaveSvg(svg, size, size);
        return (png, svg);
    }

    public static Plot Build(float[] samples, float[] data, string title, double extent = 3.0)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(data);
        var plot = new Plot();
        plot.Title($"{title}: {samples.Length / 2} samples (density) against the data (dots)");
        var heatmap = plot.Add.Heatmap(Histogram(samples, extent));
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.Extent = new CoordinateRect(-extent, extent, -extent, extent);

        var n = Math.Min(2000, data.Length / 2);
        var dx = new double[n];
        var dy = new double[n];
        for (var i = 0; i < n; i++) (dx[i], dy[i]) = (data[2 * i], data[2 * i + 1]);
        var points = plot.Add.ScatterPoints(dx, dy, Colors.OrangeRed.WithAlpha(0.6));
        points.MarkerSize = 3;
        points.LegendText = $"data ({n})";
        plot.Axes.SetLimits(-extent, extent, -extent, extent);
        plot.ShowLegend();
        return plot;
    }

    // Rows top to bottom (ScottPlot draws row 0 at the top of the extent); sqrt of counts so sparse modes still show.
    private static double[,] Histogram(float[] xy, double extent)
    {
        var counts = new double[Bins, Bins];
        for (var i = 0; i + 1 < xy.Length; i += 2)
        {
            var cx = (int)Math.Floor((xy[i] + extent) / (2 * extent) * Bins);
            var cy = (int)Math.Floor((extent - xy[i + 1]) / (2 * extent) * Bins);
            if (cx >= 0 && cx < Bins && cy >= 0 && cy < Bins) counts[cy, cx]++;
        }
        for (var r = 0; r < Bins; r++)
            for (var c = 0; c < Bins; c++) counts[r, c] = Math.Sqrt(counts[r, c]);
        return counts;
    }
}
