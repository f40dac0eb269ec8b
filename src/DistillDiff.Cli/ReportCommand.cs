namespace DistillDiff.Cli;

using System.CommandLine;
using DistillDiff.Training.Reports;

/// <summary>`distilldiff report &lt;run-dir&gt;`: a self-contained offline HTML page of a run.</summary>
public static class ReportCommand
{
    public static Command Create(Func<Action, int> guard)
    {
        var dir = new Argument<string>("run-dir") { Description = "a run folder (e.g. checkpoints/quickstart)" };
        var output = new Option<string?>("--out") { Description = "HTML file (default: <run-dir>/report.html)" };
        var cmd = new Command("report", "write one self-contained HTML page: recipe, environment, plots, samples, metrics, timings") { dir, output };
        cmd.SetAction(p => guard(() => Console.WriteLine(RunReport.Write(p.GetValue(dir)!, p.GetValue(output)))));
        return cmd;
    }
}
