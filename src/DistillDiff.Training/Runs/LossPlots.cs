namespace DistillDiff.Training.Runs;

using DistillDiff.Formats.Plots;
using DistillDiff.Training.Methods;

/// <summary>
/// Loss curves from metrics.jsonl, one SVG per plot the phases name (<see cref="LossPlot"/>): a series per phase when
/// several phases share a plot (progressive rounds: each restarts with a new student and target), a series per loss
/// name when a phase logs several (generator, discriminator, R1, ...), smoothed as TensorBoard does.
/// </summary>
public static class LossPlots
{
    public static void Save(RunDirectory run, IReadOnlyList<(string Phase, LossPlot Plot)> phases)
    {
        if (!File.Exists(run.Metrics)) return;
        var rows = MetricsLog.Read(run.Metrics).ToList();
        foreach (var group in phases.GroupBy(p => p.Plot.File))
        {
            var members = group.ToList();
            var series = new List<PlotSeries>();
            foreach (var (phase, plot) in members)
            {
                var own = rows.Where(r => r.Phase == phase).OrderBy(r => r.Step).ToList();
                var names = own.SelectMany(r => r.Values.Keys).Where(IsLoss).Distinct().ToList();
                foreach (var name in names)
                {
                    var points = own.Where(r => r.Values.ContainsKey(name)).ToList();
                    var label = names.Count == 1 ? plot.Label : members.Count == 1 ? name : $"{plot.Label}: {name}";
                    series.Add(new PlotSeries(label, points.Select(r => (double)r.Step).ToArray(), points.Select(r => r.Values[name]).ToArray()));
                }
            }
            if (series.Count == 0) continue;
            var first = members[0].Plot;
            SvgPlot.Save(Path.Combine(run.Plots, first.File), series,
                new PlotOptions(first.Title, members.Count > 1 ? "step within phase" : "step", "loss", LogY: first.LogY, Smoothing: 0.8));
        }
    }

    private static bool IsLoss(string name) => !name.StartsWith("lr", StringComparison.Ordinal) && !name.StartsWith("grad_norm", StringComparison.Ordinal);
}
