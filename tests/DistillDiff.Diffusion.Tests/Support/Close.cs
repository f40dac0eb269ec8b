namespace DistillDiff.Diffusion.Tests.Support;

/// <summary>Numeric assertions with the numbers in the failure message.</summary>
internal static class Close
{
    /// <summary>|actual - expected| &lt;= abs + rel |expected|.</summary>
    public static void Equal(double expected, double actual, double rel = 1e-12, double abs = 0, string what = "")
    {
        var tol = abs + rel * Math.Abs(expected);
        Assert.True(Math.Abs(actual - expected) <= tol || expected.Equals(actual),
            $"{what} expected {expected:R}, got {actual:R} (|diff| {Math.Abs(actual - expected):E3} > {tol:E3})");
    }

    public static void AllEqual(double[] expected, double[] actual, double rel = 1e-12, double abs = 0, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++) Equal(expected[i], actual[i], rel, abs, $"{what}[{i}]");
    }
}
