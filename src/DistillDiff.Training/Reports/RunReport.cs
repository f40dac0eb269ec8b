namespace DistillDiff.Training.Reports;

using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using DistillDiff.Engine;
using DistillDiff.Training.Evaluation;

/// <summary>
/// `distilldiff report &lt;run-dir&gt;`: one self-contained HTML page (report.html in the run folder) that opens offline:
/// recipe, environment, phase timings, the metrics tables (the training's step_curve.json and, when present,
/// `distilldiff eval`'s eval/eval.csv with speed), every plot and every sample picture, embedded as data: URIs.
/// No script, no external file, no network.
/// </summary>
public static class RunReport
{
    public const string FileName = "report.html";

    public static string Write(string runDir, string? outPath = null)
    {
        var root = Path.GetFullPath(runDir);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"run folder '{runDir}' does not exist");
        if (!File.Exists(Path.Combine(root, "config.yaml")) && !File.Exists(Path.Combine(root, "step_curve.json")) && !Directory.Exists(Path.Combine(root, "eval")))
            throw new ArgumentException($"'{runDir}' is not a run folder: it has no config.yaml, step_curve.json or eval/");
        var path = outPath ?? Path.Combine(root, FileName);
        var html = Render(root);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, html, new UTF8Encoding(false));
        File.Move(tmp, path, overwrite: true);
        return path;
    }

    public static string Render(string root)
    {
        var name = Path.GetFileName(root);
        var sb = new StringBuilder();
        sb.Append($$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>DistillDiff run: {{E(name)}}</title>
            <style>
            body { font: 15px/1.45 "DejaVu Sans", sans-serif; margin: 24px auto; max-width: 1400px; color: #222; padding: 0 16px; }
            h1 { font-size: 26px; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 4px; margin-top: 36px; }
            pre { background: #f6f6f6; padding: 12px; overflow-x: auto; font-size: 13px; }
            table { border-collapse: collapse; margin: 8px 0 20px; font-size: 13px; }
            th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; } th { background: #eee; } td.l, th.l { text-align: left; }
            figure { display: inline-block; margin: 8px 12px 16px 0; vertical-align: top; }
            figure img { max-width: 100%; border: 1px solid #ddd; image-rendering: pixelated; }
            figcaption { font-size: 13px; color: #555; }
            </style></head><body>
            <h1>Run <code>{{E(name)}}</code></h1>
            <p>{{E(root)}} &middot; report written {{E(DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture))}}</p>

            """);
        Section(sb, "Recipe", File.Exists(Path.Combine(root, "config.yaml"))
            ? $"<pre>{E(File.ReadAllText(Path.Combine(root, "config.yaml")))}</pre>" : "<p>no config.yaml</p>");
        Section(sb, "Environment", Environment(root));
        Section(sb, "Timings", Timings(root));
        Section(sb, "Metrics", Metrics(root));
        Section(sb, "Plots", Pictures(root, ["plots", "eval/plots"]));
        Section(sb, "Samples", Pictures(root, ["samples", "eval/samples"]));
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    private static void Section(StringBuilder sb, string title, string body) => sb.Append($"<h2>{E(title)}</h2>\n{body}\n");

    private static string Environment(string root)
    {
        var rows = new List<(string, string)>
        {
            ("libtorch", Torch.LibTorchVersion.ToString()),
            ("CUDA", Torch.Cuda.IsAvailable ? $"{Torch.Cuda.DeviceCount} device(s)" : "not available"),
            ("CPU threads (libtorch)", Torch.NumThreads.ToString(CultureInfo.InvariantCulture)),
            ("logical CPUs", System.Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)),
            ("OS", RuntimeInformation.OSDescription),
            (".NET", RuntimeInformation.FrameworkDescription),
        };
        var sb = new StringBuilder("<p>Where this report was written:</p>\n<table>");
        foreach (var (k, v) in rows) sb.Append($"<tr><th class=\"l\">{E(k)}</th><td class=\"l\">{E(v)}</td></tr>");
        sb.Append("</table>\n");
        var log = Path.Combine(root, "train.log");
        if (File.Exists(log))
        {
            var header = File.ReadLines(log).Where(l => l.Contains("libtorch", StringComparison.Ordinal)).Take(3).ToList();
            if (header.Count > 0) sb.Append($"<p>Where the run trained (train.log):</p><pre>{E(string.Join("\n", header))}</pre>");
        }
        return sb.ToString();
    }

    /// <summary>Wall time of each phase from metrics.jsonl's first and last timestamps (the time between logged steps).</summary>
    private static string Timings(string root)
    {
        var sb = new StringBuilder();
        var metrics = Path.Combine(root, "metrics.jsonl");
        if (File.Exists(metrics))
        {
            var phases = new List<(string Phase, long Steps, double First, double Last)>();
            foreach (var line in File.ReadLines(metrics))
            {
                if (string.IsNullOrWhiteSpace(line)) continue;
                using var doc = JsonDocument.Parse(line);
                var r = doc.RootElement;
                if (!r.TryGetProperty("phase", out var p) || !r.TryGetProperty("time", out var t) || !r.TryGetProperty("step", out var s)) continue;
                var phase = p.GetString() ?? "";
                var i = phases.FindIndex(x => x.Phase == phase);
                if (i < 0) phases.Add((phase, s.GetInt64(), t.GetDouble(), t.GetDouble()));
                else phases[i] = (phase, Math.Max(phases[i].Steps, s.GetInt64()), phases[i].First, t.GetDouble());
            }
            sb.Append("<table><tr><th class=\"l\">phase</th><th>last logged step</th><th>wall time first to last log (s)</th></tr>");
            foreach (var ph in phases)
                sb.Append(string.Create(CultureInfo.InvariantCulture, $"<tr><td class=\"l\">{E(ph.Phase)}</td><td>{ph.Steps}</td><td>{ph.Last - ph.First:0.0}</td></tr>"));
            sb.Append("</table>\n");
        }
        var eval = EvalRows(root);
        var speed = eval.Where(r => r.Values.Keys.Any(k => k.StartsWith("ms_per_sample", StringComparison.Ordinal))).ToList();
        if (speed.Count > 0)
        {
            var keys = speed.SelectMany(r => r.Values.Keys).Where(k => k.StartsWith("ms_per_sample", StringComparison.Ordinal) || k.StartsWith("samples_per_s", StringComparison.Ordinal))
                .Distinct().Order(StringComparer.Ordinal).ToList();
            sb.Append($"<p>Sampling speed (eval/eval.csv, device {E(speed[0].Text.GetValueOrDefault("device", "?"))}):</p>");
            sb.Append(Table(["model", "sampler", "steps"], keys, speed));
        }
        return sb.Length == 0 ? "<p>no metrics.jsonl or eval/eval.csv</p>" : sb.ToString();
    }

    private static string Metrics(string root)
    {
        var sb = new StringBuilder();
        var curvePath = Path.Combine(root, "step_curve.json");
        if (File.Exists(curvePath))
        {
            var curve = new StepCurve(curvePath);
            var keys = curve.Points.SelectMany(p => p.Metrics.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
            var rows = curve.Points.OrderBy(p => p.Model, StringComparer.Ordinal).ThenBy(p => p.Steps)
                .Select(p => (new Dictionary<string, string> { ["model"] = p.Model, ["sampler"] = p.Sampler, ["steps"] = p.Steps.ToString(CultureInfo.InvariantCulture) }, p.Metrics))
                .ToList();
            sb.Append("<p>Measured during training (step_curve.json):</p>").Append(Table(["model", "sampler", "steps"], keys, rows));
        }
        var eval = EvalRows(root);
        if (eval.Count > 0)
        {
            var keys = eval.SelectMany(r => r.Values.Keys)
                .Where(k => !k.StartsWith("ms_per_sample", StringComparison.Ordinal) && !k.StartsWith("samples_per_s", StringComparison.Ordinal))
                .Distinct().Order(StringComparer.Ordinal).ToList();
            sb.Append($"<p>distilldiff eval (eval/eval.csv); reference {E(eval[0].Text.GetValueOrDefault("reference", "?"))}, " +
                      $"{E(eval[0].Text.GetValueOrDefault("num_samples", "?"))} generated samples per row:</p>");
            sb.Append(Table(["model", "sampler", "steps"], keys, eval));
        }
        return sb.Length == 0 ? "<p>no step_curve.json or eval/eval.csv</p>" : sb.ToString();
    }

    private static string Table(string[] textColumns, List<string> valueColumns, IEnumerable<(Dictionary<string, string> Text, Dictionary<string, double> Values)> rows)
    {
        var sb = new StringBuilder("<table><tr>");
        foreach (var c in textColumns) sb.Append($"<th class=\"l\">{E(c)}</th>");
        foreach (var c in valueColumns) sb.Append($"<th>{E(c)}</th>");
        sb.Append("</tr>\n");
        foreach (var (text, values) in rows)
        {
            sb.Append("<tr>");
            foreach (var c in textColumns) sb.Append($"<td class=\"l\">{E(text.GetValueOrDefault(c, ""))}</td>");
            foreach (var c in valueColumns)
                sb.Append($"<td>{(values.TryGetValue(c, out var v) ? v.ToString("G5", CultureInfo.InvariantCulture) : "")}</td>");
            sb.Append("</tr>\n");
        }
        return sb.Append("</table>\n").ToString();
    }

    /// <summary>eval/eval.csv rows: text columns and numeric metric columns.</summary>
    private static List<(Dictionary<string, string> Text, Dictionary<string, double> Values)> EvalRows(string root)
    {
        var path = Path.Combine(root, "eval", "eval.csv");
        var result = new List<(Dictionary<string, string>, Dictionary<string, double>)>();
        if (!File.Exists(path)) return result;
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        if (lines.Count == 0) return result;
        var header = SplitCsv(lines[0]);
        string[] text = ["model", "sampler", "steps", "reference", "num_samples", "device"];
        foreach (var line in lines.Skip(1))
        {
            var cells = SplitCsv(line);
            var t = new Dictionary<string, string>();
            var v = new Dictionary<string, double>();
            for (var i = 0; i < header.Count && i < cells.Count; i++)
            {
                if (text.Contains(header[i])) t[header[i]] = cells[i];
                else if (double.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) v[header[i]] = d;
            }
            result.Add((t, v));
        }
        return result;
    }

    private static List<string> SplitCsv(string line)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else cell.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { cells.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(c);
        }
        cells.Add(cell.ToString());
        return cells;
    }

    private static string Pictures(string root, string[] folders)
    {
        var sb = new StringBuilder();
        foreach (var folder in folders)
        {
            var dir = Path.Combine(root, folder);
            if (!Directory.Exists(dir)) continue;
            foreach (var png in Directory.GetFiles(dir, "*.png").Order(StringComparer.Ordinal))
            {
                var data = Convert.ToBase64String(File.ReadAllBytes(png));
                var caption = $"{folder}/{Path.GetFileName(png)}";
                sb.Append($"<figure><img src=\"data:image/png;base64,{data}\" alt=\"{E(caption)}\"><figcaption>{E(caption)}</figcaption></figure>\n");
            }
        }
        return sb.Length == 0 ? "<p>none</p>" : sb.ToString();
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
