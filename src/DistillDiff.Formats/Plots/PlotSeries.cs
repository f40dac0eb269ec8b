namespace DistillDiff.Formats.Plots;

/// <summary>One curve: points (X[i], Y[i]) drawn in the given order; non-finite points break the line.</summary>
public sealed record PlotSeries(string Name, double[] X, double[] Y);
