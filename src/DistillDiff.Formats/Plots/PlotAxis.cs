namespace DistillDiff.Formats.Plots;

/// <summary>
/// One axis: its domain in plotting space (log10 of the value on log axes), padded so no point sits on the frame,
/// and its ticks. Linear ticks step by 1, 2 or 5 times a power of ten; log ticks are powers of ten, or
/// 1-2-5 multiples when the data spans under three decades, or powers of two when every value is one.
/// </summary>
internal sealed class PlotAxis
{
    private const double Padding = 0.04;
    private const int TargetTicks = 5;
    private static readonly double Log10Of2 = Math.Log10(2);

    private PlotAxis(bool log, double low, double high, List<(double Value, string Label)> ticks)
    {
        IsLog = log;
        Low = low;
        High = high;
        Ticks = ticks;
    }

    public bool IsLog { get; }

    public double Low { get; }

    public double High { get; }

    public IReadOnlyList<(double Value, string Label)> Ticks { get; }

    public static bool IsPlottable(double value, bool log) => double.IsFinite(value) && (!log || value > 0);

    /// <summary>Position of <paramref name="value"/> along the axis, 0 at <see cref="Low"/> and 1 at <see cref="High"/>.</summary>
    public double Fraction(double value) => ((IsLog ? Math.Log10(value) : value) - Low) / (High - Low);

    public static PlotAxis Create(IReadOnlyCollection<double> values, bool log)
    {
        double low, high;
        if (values.Count == 0)
        {
            (low, high) = (0, 1); // [0, 1] linear, [1, 10] log
        }
        else
        {
            low = values.Min(v => log ? Math.Log10(v) : v);
            high = values.Max(v => log ? Math.Log10(v) : v);
        }

        double scale = Math.Max(Math.Abs(low), Math.Abs(high));
        if (high - low <= 1e-12 * Math.Max(scale, 1e-300))
        {
            // All values equal: give the single level some room so it is drawn mid-axis with ticks around it.
            double half = log ? 0.5 : low == 0 ? 1 : Math.Abs(low) * 0.1;
            low -= half;
            high += half;
        }
        double pad = (high - low) * Padding;
        low -= pad;
        high += pad;

        List<(double, string)> ticks;
        if (log && values.Count > 0 && values.All(IsPowerOfTwo))
            ticks = PowerOfTwoTicks(low, high);
        else if (log)
            ticks = LogTicks(low, high);
        else
            ticks = LinearTicks(low, high);
        return new PlotAxis(log, low, high, ticks);
    }

    private static bool IsPowerOfTwo(double value) =>
        value > 0 && double.IsFinite(value) && Math.ScaleB(1.0, (int)Math.Round(Math.Log2(value))) == value;

    private static List<(double, string)> LinearTicks(double low, double high)
    {
        double step = NiceStep((high - low) / TargetTicks);
        var ticks = new List<(double, string)>();
        for (double k = Math.Ceiling(low / step); k <= Math.Floor(high / step); k++)
        {
            double value = k * step;
            if (Math.Abs(value) < step * 1e-9)
                value = 0;
            ticks.Add((value, TickFormat.Linear(value, step)));
        }
        return ticks;
    }

    private static double NiceStep(double raw)
    {
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double normalized = raw / magnitude;
        double nice = normalized < 1.5 ? 1 : normalized < 3.5 ? 2 : normalized < 7.5 ? 5 : 10;
        return nice * magnitude;
    }

    private static List<(double, string)> LogTicks(double low, double high)
    {
        int first = (int)Math.Ceiling(low - 1e-9);
        int last = (int)Math.Floor(high + 1e-9);
        var ticks = new List<(double, string)>();
        if (last - first + 1 >= 3)
        {
            int stride = (int)Math.Ceiling((last - first + 1) / 8.0);
            for (int k = first; k <= last; k++)
            {
                if (k % stride == 0)
                    ticks.Add((Math.Pow(10, k), TickFormat.Compact(Math.Pow(10, k))));
            }
            return ticks;
        }

        // Under three decades: 1-2-5 multiples keep at least a few labelled ticks.
        for (int k = (int)Math.Floor(low); k <= (int)Math.Ceiling(high); k++)
        {
            foreach (int m in (ReadOnlySpan<int>)[1, 2, 5])
            {
                double value = m * Math.Pow(10, k);
                double position = Math.Log10(value);
                if (position >= low - 1e-9 && position <= high + 1e-9)
                    ticks.Add((value, TickFormat.Compact(value)));
            }
        }
        if (ticks.Count >= 2)
            return ticks;

        // A narrow range inside one 1-2-5 interval: linear ticks in value space still read correctly.
        return LinearTicks(Math.Pow(10, low), Math.Pow(10, high)).Where(t => t.Item1 > 0).ToList();
    }

    private static List<(double, string)> PowerOfTwoTicks(double low, double high)
    {
        int first = (int)Math.Ceiling(low / Log10Of2 - 1e-9);
        int last = (int)Math.Floor(high / Log10Of2 + 1e-9);
        int stride = Math.Max(1, (int)Math.Ceiling((last - first + 1) / 10.0));
        var ticks = new List<(double, string)>();
        for (int e = first; e <= last; e++)
        {
            if (e % stride == 0)
                ticks.Add((Math.ScaleB(1.0, e), TickFormat.PowerOfTwo(e)));
        }
        return ticks;
    }
}
