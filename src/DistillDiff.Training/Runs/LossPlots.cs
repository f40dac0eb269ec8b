namespace DistillDiff.Training.Runs;

using DistillDiff.Training.Methods;
using DistillDiff.Training.Plots;

/// <summary>
/// Training curves from metrics.jsonl, as PNG and SVG under plots/, one set per plot the phases name
/// (<see cref="LossPlot"/>, e.g. loss_distill): the losses, with a series per phase when several phases share a plot
/// (progressive rounds: each restarts with a new student and target) and a series per loss name when a phase logs
/// several (generator, discriminator, R1, ...), raw and smoothed as TensorBoard does; then the learning rate
/// (lr_&lt;name&gt;) and gradient norm (grad_norm_&lt;name&gt;, log y) of the same phases, a series per optimised module.
/// </summary>
public static class LossPlots
{
    public const double Smoothing = 0.8;

    public static void Save(RunDirectory run, IReadOnlyList<(string Phase, LossPlot Plot)> phases)
    {
        if (!File.Exists(run.Metrics)) return;
        foreach (var (name, series, options) in Charts(MetricsLog.Read(run.Metrics).ToList(), phases))
            Plots.Charts.Save(Path.Combine(run.Plots, name), series, options);
    }

    /// <summary>The charts to draw: file name without extension, series, options.</summary>
    public static IEnumerable<(string Name, IReadOnlyList<ChartSeries> Series, ChartOptions Options)> Charts(
        IReadOnlyList<(string Phase, long Step, Dictionary<string, double> Values)> rows, IReadOnlyList<(string Phase, LossPlot Plot)> phases)
    {
        foreach (var group in phases.GroupBy(p => Path.ChangeExtension(p.Plot.File, null)))
        {
            var members = group.ToList();
            var first = members[0].Plot;
            var xLabel = members.Count > 1 ? "step within phase" : "step";
            var suffix = group.Key.StartsWith("loss_", StringComparison.Ordinal) ? group.Key["loss_".Length..] : group.Key;
            var losses = Series(rows, members, IsLoss);
            if (losses.Count > 0)
                yield return (group.Key, losses, new ChartOptions(first.Title, xLabel, "loss", LogY: first.LogY, Smoothing: Smoothing));
            // A method that logs several losses (ADD: generator, discriminator, R1, ...) puts terms of very different
            // sizes on one axis, where the small ones are flat lines: each also gets its own chart, log y when it is
            // positive and spans more than a decade.
            if (members.Count == 1 && losses.Count > 1)
                foreach (var s in losses)
                    yield return ($"{group.Key}_{FileSafe(s.Name)}", [s], new ChartOptions($"{first.Title}: {s.Name}", xLabel, s.Name,
                        LogY: s.Y.Length > 0 && s.Y.All(v => v > 0) && s.Y.Max() > 10 * s.Y.Min(), Smoothing: Smoothing, Width: 800, Height: 400));
            var lr = Series(rows, members, k => k.StartsWith("lr", StringComparison.Ordinal));
            if (lr.Count > 0)
                yield return ($"lr_{suffix}", lr, new ChartOptions($"{first.Title}: learning rate", xLabel, "learning rate"));
            var grad = Series(rows, members, k => k.StartsWith("grad_norm", StringComparison.Ordinal));
            if (grad.Count > 0)
                yield return ($"grad_norm_{suffix}", grad, new ChartOptions($"{first.Title}: gradient norm before clipping", xLabel, "grad norm", LogY: true));
        }
    }

    private static List<ChartSeries> Series(IReadOnlyList<(string Phase, long Step, Dictionary<string, double> Values)> rows,
        List<(string Phase, LossPlot Plot)> members, Func<string, bool> keep)
    {
        var series = new List<ChartSeries>();
        foreach (var (phase, plot) in members)
        {
            var own = rows.Where(r => r.Phase == phase).OrderBy(r => r.Step).ToList();
            var names = own.SelectMany(r => r.Values.Keys).Where(keep).Distinct().ToList();
            foreach (var name in names)
            {
                var points = own.Where(r => r.Values.ContainsKey(name)).ToList();
                var label = names.Count == 1 ? plot.Label : members.Count == 1 ? name : $"{plot.Label}: {name}";
                series.Add(new ChartSeries(label, points.Select(r => (double)r.Step).ToArray(), points.Select(r => r.Values[name]).ToArray()));
            }
        }
        return series;
    }

    private static string FileSafe(string name) => new(name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());

    private static bool IsLoss(string name) => !name.StartsWith("lr", StringComparison.Ordinal) && !name.StartsWith("grad_norm", StringComparison.Ordinal);
}
