namespace DistillDiff.Diffusion.Schedules;

/// <summary>
/// log(1 + x) and e^x - 1 accurate for small x (Kahan's tricks; .NET's double.LogP1 / ExpM1 are the naive formulas).
/// They keep lambda = log(alpha-bar) - log(1 - alpha-bar) exact where alpha-bar is within 1e-4 of 1.
/// </summary>
internal static class PreciseMath
{
    public static double Log1P(double x)
    {
        var u = 1 + x;
        if (u == 1) return x;
        if (double.IsPositiveInfinity(u)) return u;
        return Math.Log(u) * x / (u - 1);
    }

    public static double Expm1(double x)
    {
        if (double.IsNegativeInfinity(x)) return -1;
        var u = Math.Exp(x);
        if (u == 1) return x;
        var um1 = u - 1;
        if (um1 == -1) return -1;
        if (double.IsPositiveInfinity(u)) return u;
        return um1 * x / Math.Log(u);
    }
}
