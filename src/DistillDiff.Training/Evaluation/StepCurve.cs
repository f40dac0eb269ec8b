namespace DistillDiff.Training.Evaluation;

using System.Text.Json;
using DistillDiff.Training.Plots;

/// <summary>
/// Sample quality against number of sampling steps, for the teacher (DDIM baseline) and each distilled student:
/// the curve a distillation paper's main figure shows. Kept in step_curve.json (a point per model and step count,
/// replaced when measured again) and drawn as PNG and SVG, one plot per metric, steps on a log2 axis.
/// </summary>
public sealed class StepCurve
{
    // A metric of a collapsed model can be NaN or infinite; it is recorded ("NaN") rather than ending the run.
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
    private readonly string _path;
    private readonly List<StepCurvePoint> _points;

    public StepCurve(string path)
    {
        _path = path;
        _points = File.Exists(path) ? JsonSerializer.Deserialize<List<StepCurvePoint>>(File.ReadAllText(path), Json) ?? [] : [];
        // Files written before the trainer layout have no series and call the continuous DDIM "ddim"; it is "pd" now.
        for (var i = 0; i < _points.Count; i++)
            if (_points[i] is { Series: null, Sampler: "ddim" } legacy) _points[i] = legacy with { Sampler = "pd" };
    }

    public IReadOnlyList<StepCurvePoint> Points => _points;

    public void Add(StepCurvePoint p)
    {
        _points.RemoveAll(q => q.Model == p.Model && q.Sampler == p.Sampler && q.Steps == p.Steps);
        _points.Add(p);
        var tmp = _path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(_points, Json));
        File.Move(tmp, _path, overwrite: true);
    }

    /// <summary>Series of the plots, by each point's series (the teacher's curve; the progressive students joined into one).</summary>
    public IEnumerable<(string Metric, IReadOnlyList<ChartSeries> Series)> Plots()
    {
        var metrics = _points.SelectMany(p => p.Metrics.Keys).Distinct().OrderBy(m => m, StringComparer.Ordinal);
        foreach (var metric in metrics)
        {
            var series = _points.Where(p => p.Metrics.ContainsKey(metric))
                .GroupBy(p => p.SeriesName)
                .Select(g => g.OrderBy(p => p.Steps).ToList())
                .Select(ps => new ChartSeries(ps[0].SeriesName, ps.Select(p => (double)p.Steps).ToArray(), ps.Select(p => p.Metrics[metric]).ToArray()))
                .ToList();
            yield return (metric, series);
        }
    }

    /// <summary>plots/step_curve_&lt;metric&gt;.png and .svg: one line per series, steps on a log₂ axis.</summary>
    public void SavePlots(string dir, string title)
    {
        foreach (var (metric, series) in Plots())
            Charts.Save(Path.Combine(dir, $"step_curve_{metric}"), series,
                new ChartOptions($"{title}: {metric} against sampling steps", "sampling steps", metric, Log2X: true, LogY: LogScale(metric)));
    }

    // Distances spanning decades read best on a log axis; bounded scores (precision, recall, PSNR), KID and MMD (unbiased,
    // can be negative) and timings do not.
    private static bool LogScale(string metric) => metric is not ("precision" or "recall" or "kid" or "mmd")
        && !metric.StartsWith("psnr", StringComparison.Ordinal) && !metric.StartsWith("ms_", StringComparison.Ordinal)
        && !metric.StartsWith("samples_per_s", StringComparison.Ordinal);

    /// <summary>A fixed-width table for the log and the README: rows = step counts, columns = models.</summary>
    public string Table(string metric)
    {
        var models = _points.Select(p => $"{p.Model} ({p.Sampler})").Distinct().ToList();
        var steps = _points.Select(p => p.Steps).Distinct().OrderBy(s => s).ToList();
        var lines = new List<string> { $"| steps | {string.Join(" | ", models)} |", $"|---:|{string.Concat(models.Select(_ => "---:|"))}" };
        foreach (var s in steps)
        {
            var cells = models.Select(m => _points.FirstOrDefault(p => $"{p.Model} ({p.Sampler})" == m && p.Steps == s)?.Metrics.GetValueOrDefault(metric, double.NaN))
                .Select(v => v is double d && !double.IsNaN(d) ? d.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture) : "");
            lines.Add($"| {s} | {string.Join(" | ", cells)} |");
        }
        return string.Join("\n", lines);
    }
}
