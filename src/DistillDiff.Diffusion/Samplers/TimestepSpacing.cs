namespace DistillDiff.Diffusion.Samplers;

/// <summary>
/// diffusers' timestep_spacing (Lin et al. 2023, table 2), for n inference steps of N training steps, noisiest first:
/// <code>
///   linspace: round(linspace(0, N - 1, n)) reversed          4 of 1000: 999, 666, 333, 0
///   leading:  (arange(n) * (N // n)) reversed + steps_offset  4 of 1000, offset 1: 751, 501, 251, 1
///   trailing: round(N - i * N / n) - 1 for i = 0..n-1         4 of 1000: 999, 749, 499, 249
/// </code>
/// Rounding is half-to-even, as numpy's. Trailing makes exactly n entries (numpy's arange may make n + 1 by rounding).
/// </summary>
public static class TimestepSpacing
{
    public static long[] Compute(string spacing, int numTrainTimesteps, int numInferenceSteps, int stepsOffset = 0)
    {
        var (big, n) = (numTrainTimesteps, numInferenceSteps);
        if (n < 1 || n > big)
            throw new ArgumentOutOfRangeException(nameof(numInferenceSteps), n, $"inference steps must be in [1, {big}] (num_train_timesteps)");
        var ts = new long[n];
        switch (spacing)
        {
            case "linspace":
                var step = n == 1 ? 0 : (big - 1.0) / (n - 1);
                for (var i = 0; i < n; i++) ts[n - 1 - i] = (long)Math.Round(i == n - 1 ? big - 1.0 : i * step, MidpointRounding.ToEven);
                if (n == 1) ts[0] = 0;
                break;
            case "leading":
                var ratio = big / n;
                for (var i = 0; i < n; i++) ts[n - 1 - i] = (long)i * ratio + stepsOffset;
                break;
            case "trailing":
                var r = (double)big / n;
                for (var i = 0; i < n; i++) ts[i] = (long)Math.Round(big - i * r, MidpointRounding.ToEven) - 1;
                break;
            default:
                throw new ArgumentException($"unknown timestep_spacing '{spacing}' (expected linspace, leading or trailing)");
        }
        foreach (var t in ts)
            if (t < 0 || t >= big)
                throw new ArgumentException($"timestep_spacing '{spacing}' with steps_offset {stepsOffset} gives timestep {t}, outside [0, {big - 1}]");
        return ts;
    }
}
