namespace DistillDiff.Formats.Plots;

/// <param name="Smoothing">
/// TensorBoard's debiased exponential moving average weight in [0, 1); the smoothed curve is drawn over a faint
/// raw one. Null or 0 draws the raw curve only.
/// </param>
/// <param name="Width">SVG width in pixels.</param>
/// <param name="Height">SVG height in pixels.</param>
public sealed record PlotOptions(
    string Title,
    string XLabel,
    string YLabel,
    bool LogX = false,
    bool LogY = false,
    double? Smoothing = null,
    int Width = 720,
    int Height = 440);
