namespace DistillDiff.Diffusion.Samplers;

/// <summary>
/// diffusers' timestep_spacing (Lin et al. 2023, table 2), for n inference steps of N training steps, noisiest first,
/// with numpy's arithmetic (linspace, arange, round half to even) so the lists are diffusers' own:
/// <code>
///   linspace: linspace(0, N - 1, n) reversed; rounded by DDPM / DDIM, left fractional by Euler / Heun
///                                                            4 of 1000: 999, 666, 333, 0; 50 of 1000: 999, 978.61..., ...
///   leading:  round(arange(n) * (N // n)) reversed + steps_offset       4 of 1000, offset 1: 751, 501, 251, 1
///   trailing: round(arange(N, 0, -N / n)) - 1                           4 of 1000: 999, 749, 499, 249
/// </code>
/// numpy's arange(N, 0, -N / n) has n + 1 entries for some n (for N = 1000: 61, 103, 121, ...), the last of them -1;
/// diffusers then indexes alpha-bar at -1 (the noisiest), so those step counts are refused rather than copied.
/// </summary>
public static class TimestepSpacing
{
    public static double[] Compute(string spacing, int numTrainTimesteps, int numInferenceSteps, int stepsOffset = 0, bool roundLinspace = true)
    {
        var (big, n) = (numTrainTimesteps, numInferenceSteps);
        if (n < 1 || n > big)
            throw new ArgumentOutOfRangeException(nameof(numInferenceSteps), n, $"inference steps must be in [1, {big}] (num_train_timesteps)");
        double[] ts;
        switch (spacing)
        {
            case "linspace":
                ts = Linspace(0, big - 1, n);
                if (roundLinspace) ts = ts.Select(RoundHalfEven).ToArray();
                Array.Reverse(ts);
                break;
            case "leading":
                var ratio = big / n;
                ts = new double[n];
                for (var i = 0; i < n; i++) ts[n - 1 - i] = (double)i * ratio + stepsOffset;
                break;
            case "trailing":
                ts = Trailing(big, big, n);
                break;
            default:
                throw new ArgumentException($"unknown timestep_spacing '{spacing}' (expected linspace, leading or trailing)");
        }
        foreach (var t in ts)
            if (t < 0 || t > big - 1)
                throw new ArgumentException($"timestep_spacing '{spacing}' with steps_offset {stepsOffset} gives timestep {t}, outside [0, {big - 1}]");
        return ts;
    }

    /// <summary>round(arange(start, 0, -N / n)) - 1, refused where numpy makes more than n entries.</summary>
    internal static double[] Trailing(int start, int numTrainTimesteps, int n)
    {
        var raw = Arange(start, 0, -(double)numTrainTimesteps / n);
        if (raw.Length > n)
            throw new ArgumentException(
                $"trailing spacing of {n} steps: diffusers' np.arange({start}, 0, -{numTrainTimesteps}/{n}) makes {raw.Length} timesteps, " +
                $"the last {RoundHalfEven(raw[^1]) - 1} (it would index alpha-bar at -1); choose another number of steps");
        return raw.Select(v => RoundHalfEven(v) - 1).ToArray();
    }

    /// <summary>numpy.linspace(start, stop, num) with endpoint: start + i * step, the last exactly stop.</summary>
    public static double[] Linspace(double start, double stop, int num)
    {
        if (num == 1) return [start];
        var step = (stop - start) / (num - 1);
        var y = new double[num];
        for (var i = 0; i < num; i++) y[i] = i * step + start;
        y[^1] = stop;
        return y;
    }

    /// <summary>numpy.arange(start, stop, step) for floats: ceil((stop - start) / step) entries start + i * delta, where
    /// delta = (start + step) - start (numpy fills from its first two values).</summary>
    public static double[] Arange(double start, double stop, double step)
    {
        var length = (long)Math.Ceiling((stop - start) / step);
        if (length <= 0) return [];
        var delta = start + step - start;
        var y = new double[length];
        for (var i = 0; i < length; i++) y[i] = start + i * delta;
        return y;
    }

    public static double RoundHalfEven(double x) => Math.Round(x, MidpointRounding.ToEven);
}
