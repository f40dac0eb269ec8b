using System.Globalization;

namespace DistillDiff.Formats.Plots;

/// <summary>Compact tick labels: 0.25, 2k, 1.5M, 1e-4.</summary>
internal static class TickFormat
{
    private static readonly (double Scale, string Suffix)[] Suffixes = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")];

    /// <summary>A tick on a linear axis: as many decimals as the step needs, so neighbouring labels differ.</summary>
    public static string Linear(double value, double step)
    {
        if (value == 0)
            return "0";
        double magnitude = Math.Abs(value);
        if (step < 1e-3 || magnitude >= 1e15)
        {
            int exponent = (int)Math.Floor(Math.Log10(magnitude));
            double unit = Math.Pow(10, exponent);
            return Scientific(value / unit, DecimalsFor(step / unit), exponent);
        }
        foreach ((double scale, string suffix) in Suffixes)
        {
            if (magnitude >= scale)
                return Fixed(value / scale, DecimalsFor(step / scale)) + suffix;
        }
        return Fixed(value, DecimalsFor(step));
    }

    /// <summary>A tick on a log axis (1, 2 or 5 times a power of ten): the shortest exact form.</summary>
    public static string Compact(double value)
    {
        if (value == 0)
            return "0";
        double magnitude = Math.Abs(value);
        if (magnitude < 1e-3 || magnitude >= 1e15)
        {
            int exponent = (int)Math.Floor(Math.Log10(magnitude) + 1e-9);
            return Scientific(value / Math.Pow(10, exponent), 3, exponent);
        }
        foreach ((double scale, string suffix) in Suffixes)
        {
            if (magnitude >= scale)
                return Fixed(value / scale, 3) + suffix;
        }
        return Fixed(value, 6);
    }

    /// <summary>A power of two, written out while it stays short and exact.</summary>
    public static string PowerOfTwo(int exponent) =>
        exponent is >= -6 and <= 19
            ? Math.ScaleB(1.0, exponent).ToString("R", CultureInfo.InvariantCulture)
            : $"2^{exponent}";

    /// <summary>Fewest decimals that represent <paramref name="step"/> exactly (steps are 1, 2 or 5 times 10^k).</summary>
    private static int DecimalsFor(double step)
    {
        for (int decimals = 0; decimals < 12; decimals++)
        {
            double scaled = step * Math.Pow(10, decimals);
            if (Math.Abs(scaled - Math.Round(scaled)) < 1e-6 * Math.Max(1, scaled))
                return decimals;
        }
        return 12;
    }

    private static string Scientific(double mantissa, int decimals, int exponent)
    {
        string text = Fixed(mantissa, decimals);
        // Rounding can carry the mantissa to 10 (9.9996 -> "10"); renormalise.
        if (text is "10" or "-10")
            return Scientific(mantissa / 10, decimals, exponent + 1);
        return $"{text}e{exponent.ToString(CultureInfo.InvariantCulture)}";
    }

    private static string Fixed(double value, int decimals)
    {
        string text = value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        if (text.Contains('.'))
            text = text.TrimEnd('0').TrimEnd('.');
        return text == "-0" ? "0" : text;
    }
}
