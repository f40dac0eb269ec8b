namespace DistillDiff.Training.Runs;

using Serilog;
using Serilog.Events;
using Serilog.Formatting.Json;

/// <summary>
/// The run's loggers: a human log (train.log), a structured one (log.jsonl, one JSON event per line) and the
/// console. On a terminal each console line first clears the progress bar's line, so the two never garble.
/// </summary>
public static class RunLog
{
    public static ILogger Create(RunDirectory run, bool verbose = false)
    {
        var level = verbose ? LogEventLevel.Debug : LogEventLevel.Information;
        var clear = Console.IsErrorRedirected ? "" : "\u001b[2K\r";
        return new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .WriteTo.File(run.Log, outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} [{Level:u3}] {Message:lj}{NewLine}{Exception}")
            .WriteTo.File(new JsonFormatter(renderMessage: true), run.JsonLog)
            .WriteTo.Console(outputTemplate: clear + "{Timestamp:HH:mm:ss} {Message:lj}{NewLine}{Exception}",
                standardErrorFromLevel: LogEventLevel.Verbose)
            .CreateLogger();
    }
}
