namespace DistillDiff.Training.Runs;

using DistillDiff.Training.Plots;

/// <summary>
/// Training curves from metrics.jsonl, as PNG and SVG in plots/: for each phase family (the teacher; the
/// distillation rounds "distill-N", one series per round, since each round's loss restarts with a new student)
/// and each logged quantity, one chart named &lt;quantity&gt;_&lt;family&gt;: every named loss (raw and smoothed as
/// TensorBoard does, log y), the learning rate, and the gradient norm (log y).
/// </summary>
public static class LossPlots
{
    private const double Smoothing = 0.8;

    public static void Save(RunDirectory run)
    {
        if (!File.Exists(run.Metrics)) return;
        foreach (var (name, series, options) in Charts(MetricsLog.Read(run.Metrics)))
            Plots.Charts.Save(Path.Combine(run.Plots, name), series, options);
    }

    /// <summary>The charts to draw: file name (no extension), series and options.</summary>
    public static IEnumerable<(string Name, IReadOnlyList<ChartSeries> Series, ChartOptions Options)> Charts(
        IEnumerable<(string Phase, long Step, Dictionary<string, double> Values)> rows)
    {
        var families = rows.GroupBy(r => Family(r.Phase)).OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var family in families)
        {
            var keys = family.SelectMany(r => r.Values.Keys).Distinct().OrderBy(k => k, StringComparer.Ordinal);
            foreach (var key in keys)
            {
                var series = family.Where(r => r.Values.ContainsKey(key))
                    .GroupBy(r => r.Phase)
                    .OrderByDescending(g => RoundSteps(g.Key))
                    .Select(g => Series(SeriesName(g.Key), g, key))
                    .ToList();
                var isLoss = key is not ("lr" or "grad_norm");
                var what = key switch { "lr" => "learning rate", "grad_norm" => "gradient norm (before clipping)", _ => key };
                var xLabel = family.Key == "distill" ? "step within round" : "step";
                yield return ($"{key}_{family.Key}", series,
                    new ChartOptions($"{family.Key}: {what}", xLabel, key, LogY: key != "lr", Smoothing: isLoss ? Smoothing : 0));
            }
        }
    }

    private static string Family(string phase) => phase.StartsWith("distill-", StringComparison.Ordinal) ? "distill" : phase;

    private static int RoundSteps(string phase) =>
        phase.StartsWith("distill-", StringComparison.Ordinal) && int.TryParse(phase["distill-".Length..], out var n) ? n : 0;

    private static string SeriesName(string phase) =>
        phase.StartsWith("distill-", StringComparison.Ordinal) ? $"{phase["distill-".Length..]}-step student" : phase;

    private static ChartSeries Series(string name, IEnumerable<(string Phase, long Step, Dictionary<string, double> Values)> rows, string key)
    {
        var list = rows.OrderBy(r => r.Step).ToList();
        return new ChartSeries(name, list.Select(r => (double)r.Step).ToArray(), list.Select(r => r.Values[key]).ToArray());
    }
}
