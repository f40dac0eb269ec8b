namespace DistillDiff.Diffusion.Schedules;

/// <summary>
/// "sigmoid" (diffusers; GeoDiff): beta_n = sigmoid(linspace(-6, 6, N)[n]) * (beta_end - beta_start) + beta_start.
/// </summary>
public sealed class SigmoidSchedule(int numTrainTimesteps = 1000, double betaStart = 1e-4, double betaEnd = 0.02,
    bool rescaleZeroTerminalSnr = false)
    : DiscreteNoiseSchedule(MakeBetas(numTrainTimesteps, betaStart, betaEnd), rescaleZeroTerminalSnr)
{
    private static double[] MakeBetas(int n, double start, double end)
    {
        if (n < 2) throw new ArgumentOutOfRangeException(nameof(n), n, "need at least 2 training timesteps");
        var b = new double[n];
        for (var i = 0; i < n; i++)
        {
            var x = -6 + 12.0 * i / (n - 1);
            b[i] = 1 / (1 + Math.Exp(-x)) * (end - start) + start;
        }
        return b;
    }
}
