namespace DistillDiff.Diffusion.Schedules;

/// <summary>"scaled_linear" (latent diffusion): beta_n = linspace(sqrt(beta_start), sqrt(beta_end), N)[n]^2.</summary>
public sealed class ScaledLinearSchedule(int numTrainTimesteps = 1000, double betaStart = 0.00085, double betaEnd = 0.012,
    bool rescaleZeroTerminalSnr = false)
    : DiscreteNoiseSchedule(MakeBetas(numTrainTimesteps, betaStart, betaEnd), rescaleZeroTerminalSnr)
{
    private static double[] MakeBetas(int n, double start, double end)
    {
        if (n < 2) throw new ArgumentOutOfRangeException(nameof(n), n, "need at least 2 training timesteps");
        var (a, b) = (Math.Sqrt(start), Math.Sqrt(end));
        var betas = new double[n];
        for (var i = 0; i < n; i++) betas[i] = Math.Pow(a + (b - a) * i / (n - 1), 2);
        return betas;
    }
}
