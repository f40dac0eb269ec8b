namespace DistillDiff.Training.Runs;

using DistillDiff.Formats.Plots;

/// <summary>
/// Loss curves from metrics.jsonl: the teacher's loss, and the distillation rounds on one global-step axis with a
/// series per round (each round's loss restarts: a new student, a new target), both smoothed as TensorBoard does.
/// </summary>
public static class LossPlots
{
    public static void Save(RunDirectory run)
    {
        if (!File.Exists(run.Metrics)) return;
        var rows = MetricsLog.Read(run.Metrics).Where(r => r.Values.ContainsKey("loss")).ToList();
        var byPhase = rows.GroupBy(r => r.Phase).ToList();
        var teacher = byPhase.Where(g => g.Key == "teacher").Select(g => Series("teacher", g)).ToList();
        if (teacher.Count > 0)
            SvgPlot.Save(Path.Combine(run.Plots, "loss_teacher.svg"), teacher,
                new PlotOptions("teacher training loss", "step", "loss", LogY: true, Smoothing: 0.8));
        var rounds = byPhase.Where(g => g.Key.StartsWith("distill-", StringComparison.Ordinal))
            .OrderByDescending(g => int.Parse(g.Key["distill-".Length..], System.Globalization.CultureInfo.InvariantCulture))
            .Select(g => Series($"{g.Key["distill-".Length..]}-step student", g)).ToList();
        if (rounds.Count > 0)
            SvgPlot.Save(Path.Combine(run.Plots, "loss_distill.svg"), rounds,
                new PlotOptions("progressive distillation loss per round", "step within round", "loss", LogY: true, Smoothing: 0.8));
    }

    private static PlotSeries Series(string name, IEnumerable<(string Phase, long Step, Dictionary<string, double> Values)> rows)
    {
        var list = rows.OrderBy(r => r.Step).ToList();
        return new PlotSeries(name, list.Select(r => (double)r.Step).ToArray(), list.Select(r => r.Values["loss"]).ToArray());
    }
}
