namespace DistillDiff.Diffusion.Schedules;

/// <summary>
/// Zero terminal SNR (Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps Are Flawed", Alg. 1;
/// diffusers' rescale_zero_terminal_snr): shift sqrt(alpha-bar) so its last value is 0 and scale it so its first value
/// is unchanged. The last beta becomes 1, so alpha-bar_{N-1} = 0 exactly and logSNR(1) = -inf: the model must then
/// predict v or x, since x from epsilon divides by alpha = 0.
/// </summary>
public static class ZeroTerminalSnr
{
    public static double[] RescaleBetas(IReadOnlyList<double> betas)
    {
        var n = betas.Count;
        var sqrtBar = new double[n];
        var prod = 1.0;
        for (var i = 0; i < n; i++)
        {
            prod *= 1 - betas[i];
            sqrtBar[i] = Math.Sqrt(prod);
        }
        var (first, last) = (sqrtBar[0], sqrtBar[n - 1]);
        var scale = first / (first - last);
        var bar = new double[n];
        for (var i = 0; i < n; i++) bar[i] = Math.Pow((sqrtBar[i] - last) * scale, 2);
        var rescaled = new double[n];
        rescaled[0] = 1 - bar[0];
        for (var i = 1; i < n; i++) rescaled[i] = 1 - bar[i] / bar[i - 1];
        return rescaled;
    }

    /// <summary>The same map on a continuous sqrt(alpha-bar) = alpha: (alpha - alpha1) * alpha0 / (alpha0 - alpha1).</summary>
    public static double RescaleAlpha(double alpha, double alpha0, double alpha1) =>
        (alpha - alpha1) * alpha0 / (alpha0 - alpha1);
}
