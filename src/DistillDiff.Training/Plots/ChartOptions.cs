namespace DistillDiff.Training.Plots;

/// <summary>
/// How a chart is drawn. <see cref="Log2X"/>: x on a log₂ axis with ticks at powers of two (sampling steps);
/// <see cref="LogY"/>: y on a log₁₀ axis (losses spanning decades); <see cref="Smoothing"/> in [0, 1): each series
/// is drawn faint as measured and again as TensorBoard's debiased exponential moving average with that weight.
/// </summary>
public sealed record ChartOptions(string Title, string XLabel, string YLabel, bool Log2X = false, bool LogY = false, double Smoothing = 0,
    int Width = 1000, int Height = 600);
