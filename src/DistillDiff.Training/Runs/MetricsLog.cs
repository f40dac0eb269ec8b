namespace DistillDiff.Training.Runs;

using System.Globalization;
using System.Text.Json;
using DistillDiff.Formats.TensorBoard;

/// <summary>
/// metrics.jsonl (one object per logged step: phase, step, global step, wall time, values) mirrored to TensorBoard
/// scalars as "&lt;phase&gt;/&lt;name&gt;". On resume the file is cut back to what the checkpoint had seen, so curves never
/// hold the same step twice; TensorBoard event files cannot be cut, so they are rewritten from the kept lines
/// (TensorBoard would otherwise show the steps between the checkpoint and the stop twice).
/// </summary>
public sealed class MetricsLog : IDisposable
{
    private readonly StreamWriter _file;
    private readonly TensorBoardWriter? _tb;

    public MetricsLog(RunDirectory run, long keepLines, bool tensorBoard = true)
    {
        Path = run.Metrics;
        var kept = File.Exists(Path) ? File.ReadLines(Path).Take((int)keepLines).ToList() : [];
        File.WriteAllLines(Path, kept);
        Lines = kept.Count;
        _file = new StreamWriter(new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        if (tensorBoard)
        {
            foreach (var old in Directory.Exists(run.TensorBoard) ? Directory.GetFiles(run.TensorBoard, "events.out.tfevents.*") : [])
                File.Delete(old);
            _tb = new TensorBoardWriter(run.TensorBoard);
            foreach (var line in kept) Replay(line);
            _tb.Flush();
        }
    }

    // Writes one kept metrics.jsonl line to TensorBoard as Write did, at its original wall time.
    private void Replay(string line)
    {
        if (string.IsNullOrWhiteSpace(line)) return;
        using var doc = JsonDocument.Parse(line);
        var r = doc.RootElement;
        var phase = r.GetProperty("phase").GetString() ?? "";
        var global = r.GetProperty("global_step").GetInt64();
        double? time = r.TryGetProperty("time", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetDouble() : null;
        foreach (var p in r.EnumerateObject())
        {
            if (p.Name is "phase" or "step" or "global_step" or "time") continue;
            var value = p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetDouble()
                : double.TryParse(p.Value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
            _tb!.AddScalar($"{phase}/{p.Name}", (float)value, global, time);
        }
    }

    public string Path { get; }

    /// <summary>Lines written so far (saved in checkpoints as the resume point).</summary>
    public long Lines { get; private set; }

    public void Write(string phase, long step, long globalStep, IReadOnlyDictionary<string, double> values)
    {
        var o = new Dictionary<string, object>
        {
            ["phase"] = phase,
            ["step"] = step,
            ["global_step"] = globalStep,
            ["time"] = Math.Round(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0, 3),
        };
        foreach (var (k, v) in values) o[k] = double.IsFinite(v) ? v : v.ToString(CultureInfo.InvariantCulture);
        _file.WriteLine(JsonSerializer.Serialize(o));
        Lines++;
        if (_tb != null)
        {
            foreach (var (k, v) in values) _tb.AddScalar($"{phase}/{k}", (float)v, globalStep);
            _tb.Flush();
        }
    }

    public void AddImage(string tag, byte[] png, int height, int width, int channels, long step)
    {
        if (_tb == null) return;
        _tb.AddImage(tag, png, height, width, channels, step);
        _tb.Flush();
    }

    /// <summary>Reads metrics.jsonl back as (phase, step, name → value) rows, for plots.</summary>
    public static IEnumerable<(string Phase, long Step, Dictionary<string, double> Values)> Read(string path)
    {
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            var values = new Dictionary<string, double>();
            foreach (var p in r.EnumerateObject())
                if (p.Value.ValueKind == JsonValueKind.Number && p.Name is not ("step" or "global_step" or "time"))
                    values[p.Name] = p.Value.GetDouble();
            yield return (r.GetProperty("phase").GetString() ?? "", r.GetProperty("step").GetInt64(), values);
        }
    }

    public void Dispose()
    {
        _file.Dispose();
        _tb?.Dispose();
    }
}
