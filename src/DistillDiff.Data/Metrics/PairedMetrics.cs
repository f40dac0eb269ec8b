namespace DistillDiff.Data.Metrics;

using DistillDiff.Engine;

/// <summary>
/// Agreement between paired samples (a student's k-step sample and the teacher's many-step sample from the same
/// noise and label): PSNR in pixel space and the mean Euclidean distance in a feature space.
/// </summary>
public static class PairedMetrics
{
    /// <summary>PSNR floor on the per-sample MSE: identical samples score 10·log₁₀(1/1e-10) = 100 dB, not +∞,
    /// so a mean over samples stays finite.</summary>
    public const double MaxDecibels = 100;

    /// <summary>
    /// Mean over samples of 10·log₁₀(R² / MSEᵢ), MSEᵢ the mean squared difference of sample i, R the data range
    /// (2 for images in [-1, 1]). Higher is closer.
    /// </summary>
    public static double Psnr(Tensor a, Tensor b, double dataRange = 2.0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dataRange);
        using var scope = Torch.NewDisposeScope();
        var (fa, fb) = MetricInputs.Pair(a, b);
        if (fa.Size(0) != fb.Size(0)) throw new ArgumentException($"PSNR pairs samples: {fa.Size(0)} and {fb.Size(0)} samples differ");
        var floor = dataRange * dataRange * Math.Pow(10, -MaxDecibels / 10);
        var mse = (fa - fb).Square().Mean([1]).Clamp_(min: floor);
        return ((mse.Reciprocal() * (dataRange * dataRange)).Log() * (10 / Math.Log(10))).Mean().Item();
    }

    /// <summary>Mean of ‖aᵢ - bᵢ‖ over paired rows of two [N, D] feature sets.</summary>
    public static double MeanDistance(Tensor a, Tensor b)
    {
        using var scope = Torch.NewDisposeScope();
        var (fa, fb) = MetricInputs.Pair(a, b);
        if (fa.Size(0) != fb.Size(0)) throw new ArgumentException($"paired distance: {fa.Size(0)} and {fb.Size(0)} samples differ");
        return (fa - fb).Square().Sum([1]).Sqrt().Mean().Item();
    }
}
