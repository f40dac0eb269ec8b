namespace DistillDiff.Training.Plots;

/// <summary>One named line of a chart: y against x (points with a non-finite or, on a log axis, non-positive value are skipped).</summary>
public sealed record ChartSeries(string Name, double[] X, double[] Y);
