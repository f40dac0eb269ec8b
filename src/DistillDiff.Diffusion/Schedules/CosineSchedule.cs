namespace DistillDiff.Diffusion.Schedules;

/// <summary>
/// "squaredcos_cap_v2" (Nichol and Dhariwal 2021, eq. 17; diffusers' betas_for_alpha_bar with max_beta 0.999):
/// f(t) = cos((t + 0.008) / 1.008 * pi / 2)^2, beta_n = min(1 - f((n + 1) / N) / f(n / N), 0.999), so
/// alpha-bar_n = f((n + 1) / N) / f(0) wherever the cap does not bite (it bites at the last index only for N = 1000).
/// </summary>
public sealed class CosineSchedule(int numTrainTimesteps = 1000, bool rescaleZeroTerminalSnr = false)
    : DiscreteNoiseSchedule(MakeBetas(numTrainTimesteps), rescaleZeroTerminalSnr)
{
    public const double MaxBeta = 0.999;
    public const double Offset = 0.008;

    /// <summary>f(t), the unnormalised alpha-bar of the cosine schedule.</summary>
    public static double AlphaBar(double t) => Math.Pow(Math.Cos((t + Offset) / (1 + Offset) * Math.PI / 2), 2);

    private static double[] MakeBetas(int n)
    {
        if (n < 2) throw new ArgumentOutOfRangeException(nameof(n), n, "need at least 2 training timesteps");
        var b = new double[n];
        for (var i = 0; i < n; i++) b[i] = Math.Min(1 - AlphaBar((i + 1.0) / n) / AlphaBar((double)i / n), MaxBeta);
        return b;
    }
}
