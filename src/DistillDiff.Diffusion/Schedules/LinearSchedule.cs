namespace DistillDiff.Diffusion.Schedules;

/// <summary>"linear" (Ho et al. 2020): beta_n = linspace(beta_start, beta_end, N)[n].</summary>
public sealed class LinearSchedule(int numTrainTimesteps = 1000, double betaStart = 1e-4, double betaEnd = 0.02,
    bool rescaleZeroTerminalSnr = false)
    : DiscreteNoiseSchedule(MakeBetas(numTrainTimesteps, betaStart, betaEnd), rescaleZeroTerminalSnr)
{
    private static double[] MakeBetas(int n, double start, double end)
    {
        if (n < 2) throw new ArgumentOutOfRangeException(nameof(n), n, "need at least 2 training timesteps");
        var b = new double[n];
        for (var i = 0; i < n; i++) b[i] = start + (end - start) * i / (n - 1);
        return b;
    }
}
