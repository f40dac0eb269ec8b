namespace DistillDiff.Training.Runs;

using System.Diagnostics;
using System.Globalization;

/// <summary>
/// A one-line progress bar (step, it/s, ETA, loss) redrawn in place on a terminal; when stderr is not a terminal
/// (CI, a log file) it stays silent and the run logs plain lines instead.
/// </summary>
public sealed class ProgressBar : IDisposable
{
    private readonly string _label;
    private readonly long _total;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly long _startStep;
    private long _lastDraw = -1;

    public ProgressBar(string label, long total, long startStep = 0)
    {
        (_label, _total, _startStep) = (label, total, startStep);
        Enabled = !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("DISTILLDIFF_NO_PROGRESS") is null;
    }

    public bool Enabled { get; }

    /// <summary>Iterations per second since this bar started (resumed steps excluded).</summary>
    public double Rate(long step) => (step - _startStep) / Math.Max(_clock.Elapsed.TotalSeconds, 1e-9);

    public void Update(long step, string status)
    {
        if (!Enabled) return;
        var now = _clock.ElapsedMilliseconds;
        if (step < _total && now - _lastDraw < 100) return;
        _lastDraw = now;
        var rate = Rate(step);
        var eta = rate > 0 ? TimeSpan.FromSeconds((_total - step) / rate) : TimeSpan.Zero;
        const int width = 24;
        var filled = (int)(width * Math.Clamp(step / (double)Math.Max(_total, 1), 0, 1));
        var bar = new string('#', filled) + new string('-', width - filled);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{_label} [{bar}] {step}/{_total} {rate:0.0} it/s ETA {Format(eta)} {status}");
        var columns = Console.IsOutputRedirected ? 120 : Math.Max(Console.WindowWidth, 40);
        if (line.Length > columns - 1) line = line[..(columns - 1)];
        Console.Error.Write("\r" + line.PadRight(columns - 1));
    }

    public static string Format(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : t.TotalMinutes >= 1 ? $"{t.Minutes}m{t.Seconds:00}s" : $"{t.Seconds}s";

    public void Dispose()
    {
        if (Enabled && _lastDraw >= 0) Console.Error.WriteLine();
        _lastDraw = -1;  // a second Dispose (explicit, then using) must not print another line
    }
}
