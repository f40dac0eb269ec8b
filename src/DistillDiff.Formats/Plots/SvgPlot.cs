using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace DistillDiff.Formats.Plots;

/// <summary>
/// Renders line plots of training curves (loss vs step, metric vs sampling steps) as standalone SVG.
/// Elements carry classes (plot-area, series, raw, line, marker, tick-x, tick-y, legend) so the output can be
/// restyled with CSS or inspected by tools.
/// </summary>
public static class SvgPlot
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    // Tableau 10: distinguishable, and the palette matplotlib and TensorBoard users already read.
    private static readonly string[] Palette =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    // Past ten series colours repeat, so the line style changes instead.
    private static readonly string[] Dashes = ["6 3", "2 2", "8 3 2 3"];

    private const int MarkerThreshold = 30;
    private const int MaxLegendChars = 28;
    private const double CharWidth = 6.6;

    public static string Render(IReadOnlyList<PlotSeries> series, PlotOptions options)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(options);
        Validate(series, options);

        double weight = options.Smoothing ?? 0;
        var prepared = series.Select((s, i) => new Prepared(s, i, weight > 0 ? Smooth(s.Y, weight) : null)).ToList();

        var xs = new List<double>();
        var ys = new List<double>();
        foreach (Prepared p in prepared)
        {
            foreach (double[] y in p.Curves)
            {
                for (int i = 0; i < y.Length; i++)
                {
                    if (PlotAxis.IsPlottable(p.Series.X[i], options.LogX) && PlotAxis.IsPlottable(y[i], options.LogY))
                    {
                        xs.Add(p.Series.X[i]);
                        ys.Add(y[i]);
                    }
                }
            }
        }
        PlotAxis xAxis = PlotAxis.Create(xs, options.LogX);
        PlotAxis yAxis = PlotAxis.Create(ys, options.LogY);

        bool hasTitle = !string.IsNullOrEmpty(options.Title);
        var legendNames = prepared.Where(p => !string.IsNullOrEmpty(p.Series.Name)).ToList();
        double legendWidth = legendNames.Count == 0
            ? 0
            : 34 + CharWidth * legendNames.Max(p => Math.Min(p.Series.Name.Length, MaxLegendChars + 1));
        var area = new Area(
            Left: 70,
            Top: hasTitle ? 38 : 14,
            Right: options.Width - 16 - legendWidth,
            Bottom: options.Height - 48);
        if (area.Right - area.Left < 60 || area.Bottom - area.Top < 60)
            throw new ArgumentException(
                $"A {options.Width}x{options.Height} plot leaves no room for the data after axes and legend; make it larger or shorten the series names.",
                nameof(options));

        var root = new XElement(Svg + "svg",
            new XAttribute("width", options.Width),
            new XAttribute("height", options.Height),
            new XAttribute("viewBox", $"0 0 {options.Width} {options.Height}"),
            new XAttribute("font-family", "sans-serif"),
            new XAttribute("font-size", 11),
            El("rect", ("width", "100%"), ("height", "100%"), ("fill", "white")));
        if (hasTitle)
            root.Add(Text(options.Title, options.Width / 2.0, 22, "title", ("text-anchor", "middle"), ("font-size", "14"), ("font-weight", "bold")));

        root.Add(Axes(area, xAxis, yAxis, options));
        foreach (Prepared p in prepared)
            root.Add(SeriesGroup(p, area, xAxis, yAxis, options));
        if (legendNames.Count > 0)
            root.Add(Legend(legendNames, area));
        return root.ToString();
    }

    /// <summary>Renders and writes atomically (UTF-8, temp file then rename), creating the directory if needed.</summary>
    public static void Save(string path, IReadOnlyList<PlotSeries> series, PlotOptions options)
    {
        byte[] svg = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(Render(series, options));
        AtomicFile.Write(path, stream => stream.Write(svg));
    }

    private static void Validate(IReadOnlyList<PlotSeries> series, PlotOptions options)
    {
        if (options.Width < 200 || options.Height < 150)
            throw new ArgumentException($"Plot size {options.Width}x{options.Height} is too small; use at least 200x150.", nameof(options));
        if (options.Smoothing is double s && !(s >= 0 && s < 1))
            throw new ArgumentException($"Smoothing must be in [0, 1), got {s}.", nameof(options));
        foreach (PlotSeries s2 in series)
        {
            if (s2 is null || s2.X is null || s2.Y is null)
                throw new ArgumentException("Plot series and their X and Y arrays must not be null.", nameof(series));
            if (s2.X.Length != s2.Y.Length)
                throw new ArgumentException(
                    $"Series '{s2.Name}' has {s2.X.Length} x values but {s2.Y.Length} y values.", nameof(series));
        }
    }

    /// <summary>
    /// TensorBoard's smoothing: an exponential moving average divided by (1 - weight^n) so early points are not
    /// pulled towards zero. Non-finite points pass through (and break the line); a constant series is left as is.
    /// </summary>
    private static double[] Smooth(double[] y, double weight)
    {
        var result = (double[])y.Clone();
        double first = y.FirstOrDefault(double.IsFinite, double.NaN);
        if (y.All(v => !double.IsFinite(v) || v == first))
            return result;
        double last = 0;
        int count = 0;
        for (int i = 0; i < y.Length; i++)
        {
            if (!double.IsFinite(y[i]))
                continue;
            last = last * weight + (1 - weight) * y[i];
            count++;
            result[i] = last / (1 - Math.Pow(weight, count));
        }
        return result;
    }

    private static XElement Axes(Area area, PlotAxis xAxis, PlotAxis yAxis, PlotOptions options)
    {
        var grid = new XElement(Svg + "g", new XAttribute("class", "grid"),
            new XAttribute("stroke", "#e5e5e5"), new XAttribute("stroke-width", 1));
        var ticks = new XElement(Svg + "g", new XAttribute("class", "ticks"), new XAttribute("fill", "#333"));
        foreach ((double value, string label) in xAxis.Ticks)
        {
            double x = area.X(xAxis.Fraction(value));
            grid.Add(Line(x, area.Top, x, area.Bottom));
            ticks.Add(Line(x, area.Bottom, x, area.Bottom + 4, ("stroke", "#333")));
            ticks.Add(Text(label, x, area.Bottom + 16, "tick-x", ("text-anchor", "middle"), ("data-value", Number(value))));
        }
        foreach ((double value, string label) in yAxis.Ticks)
        {
            double y = area.Y(yAxis.Fraction(value));
            grid.Add(Line(area.Left, y, area.Right, y));
            ticks.Add(Line(area.Left - 4, y, area.Left, y, ("stroke", "#333")));
            ticks.Add(Text(label, area.Left - 7, y + 4, "tick-y", ("text-anchor", "end"), ("data-value", Number(value))));
        }

        var group = new XElement(Svg + "g", new XAttribute("class", "axes"), grid,
            El("rect", ("class", "plot-area"), ("x", Coord(area.Left)), ("y", Coord(area.Top)),
                ("width", Coord(area.Right - area.Left)), ("height", Coord(area.Bottom - area.Top)),
                ("fill", "none"), ("stroke", "#333")),
            ticks);
        if (!string.IsNullOrEmpty(options.XLabel))
            group.Add(Text(options.XLabel, (area.Left + area.Right) / 2, options.Height - 10, "x-label", ("text-anchor", "middle"), ("font-size", "12")));
        if (!string.IsNullOrEmpty(options.YLabel))
        {
            double cy = (area.Top + area.Bottom) / 2;
            group.Add(Text(options.YLabel, 16, cy, "y-label", ("text-anchor", "middle"), ("font-size", "12"),
                ("transform", $"rotate(-90 16 {Coord(cy)})")));
        }
        return group;
    }

    private static XElement SeriesGroup(Prepared p, Area area, PlotAxis xAxis, PlotAxis yAxis, PlotOptions options)
    {
        string color = Palette[p.Index % Palette.Length];
        string? dash = p.Index < Palette.Length ? null : Dashes[(p.Index / Palette.Length - 1) % Dashes.Length];
        var group = new XElement(Svg + "g", new XAttribute("class", "series"), new XAttribute("data-name", Clean(p.Series.Name ?? "")),
            new XAttribute("fill", "none"), new XAttribute("stroke", color));

        List<List<(double X, double Y)>> Segments(double[] y)
        {
            var segments = new List<List<(double, double)>>();
            List<(double, double)>? current = null;
            for (int i = 0; i < y.Length; i++)
            {
                double xv = p.Series.X[i];
                if (!PlotAxis.IsPlottable(xv, options.LogX) || !PlotAxis.IsPlottable(y[i], options.LogY))
                {
                    current = null;
                    continue;
                }
                if (current is null)
                    segments.Add(current = []);
                current.Add((area.X(xAxis.Fraction(xv)), area.Y(yAxis.Fraction(y[i]))));
            }
            return segments;
        }

        List<List<(double X, double Y)>> main = Segments(p.Smoothed ?? p.Series.Y);
        int pointCount = main.Sum(s => s.Count);
        bool markers = pointCount is > 0 and < MarkerThreshold;

        if (p.Smoothed is not null)
            group.Add(PathElement(Segments(p.Series.Y), "raw", dash, ("stroke-opacity", "0.25"), ("stroke-width", "1")));
        if (pointCount > 0)
            group.Add(PathElement(main, "line", dash, ("stroke-width", "1.8"), ("stroke-linejoin", "round")));

        foreach (List<(double X, double Y)> segment in main)
        {
            // A lone point between gaps has no line to show it, so it always gets a dot.
            if (markers || segment.Count == 1)
            {
                foreach ((double x, double y) in segment)
                    group.Add(El("circle", ("class", markers ? "marker" : "point"), ("cx", Coord(x)), ("cy", Coord(y)),
                        ("r", markers ? "3" : "1.5"), ("fill", color), ("stroke", "none")));
            }
        }
        return group;
    }

    private static XElement PathElement(List<List<(double X, double Y)>> segments, string cssClass, string? dash,
        params (string Name, string Value)[] attributes)
    {
        var d = new StringBuilder();
        foreach (List<(double X, double Y)> segment in segments)
        {
            for (int i = 0; i < segment.Count; i++)
            {
                if (d.Length > 0) d.Append(' ');
                d.Append(i == 0 ? 'M' : 'L').Append(Coord(segment[i].X)).Append(',').Append(Coord(segment[i].Y));
            }
        }
        XElement path = El("path", [("class", cssClass), ("d", d.ToString()), .. attributes]);
        if (dash is not null)
            path.Add(new XAttribute("stroke-dasharray", dash));
        return path;
    }

    private static XElement Legend(List<Prepared> entries, Area area)
    {
        double x = area.Right + 14;
        var legend = new XElement(Svg + "g", new XAttribute("class", "legend"));
        for (int i = 0; i < entries.Count; i++)
        {
            Prepared p = entries[i];
            double y = area.Top + 10 + 18 * i;
            string name = p.Series.Name;
            string shown = name.Length > MaxLegendChars ? name[..MaxLegendChars] + "…" : name;
            string color = Palette[p.Index % Palette.Length];
            XElement line = Line(x, y, x + 20, y, ("stroke", color), ("stroke-width", "2"));
            if (p.Index >= Palette.Length)
                line.Add(new XAttribute("stroke-dasharray", Dashes[(p.Index / Palette.Length - 1) % Dashes.Length]));
            legend.Add(new XElement(Svg + "g", new XAttribute("class", "legend-entry"),
                new XElement(Svg + "title", Clean(name)),
                line,
                Text(shown, x + 26, y + 4, "legend-label")));
        }
        return legend;
    }

    private static XElement Text(string content, double x, double y, string cssClass, params (string Name, string Value)[] attributes) =>
        new(Svg + "text", [new XAttribute("class", cssClass), new XAttribute("x", Coord(x)), new XAttribute("y", Coord(y)),
            .. attributes.Select(a => new XAttribute(a.Name, Clean(a.Value))), Clean(content)]);

    private static XElement Line(double x1, double y1, double x2, double y2, params (string Name, string Value)[] attributes) =>
        El("line", [("x1", Coord(x1)), ("y1", Coord(y1)), ("x2", Coord(x2)), ("y2", Coord(y2)), .. attributes]);

    private static XElement El(string name, params (string Name, string Value)[] attributes) =>
        new(Svg + name, attributes.Select(a => new XAttribute(a.Name, a.Value)));

    private static string Coord(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>XElement escapes markup characters itself; characters XML 1.0 cannot hold at all become U+FFFD.</summary>
    private static string Clean(string text)
    {
        if (text.All(XmlConvert.IsXmlChar))
            return text;
        var cleaned = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (XmlConvert.IsXmlChar(text[i]))
                cleaned.Append(text[i]);
            else if (i + 1 < text.Length && XmlConvert.IsXmlSurrogatePair(text[i + 1], text[i]))
                cleaned.Append(text[i]).Append(text[++i]);
            else
                cleaned.Append('\uFFFD');
        }
        return cleaned.ToString();
    }

    private sealed record Prepared(PlotSeries Series, int Index, double[]? Smoothed)
    {
        public IEnumerable<double[]> Curves => Smoothed is null ? [Series.Y] : [Series.Y, Smoothed];
    }

    /// <summary>The plot rectangle in SVG pixels; y grows downwards, so fraction 0 is the bottom edge.</summary>
    private sealed record Area(double Left, double Top, double Right, double Bottom)
    {
        public double X(double fraction) => Left + fraction * (Right - Left);

        public double Y(double fraction) => Bottom - fraction * (Bottom - Top);
    }
}
