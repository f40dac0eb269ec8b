namespace DistillDiff.Cli;

using System.Text.Json;
using DistillDiff.Engine;
using DistillDiff.Engine.Nn;
using DistillDiff.Formats.Safetensors;
using DistillDiff.Models.Checkpoints;
using DistillDiff.Recipes;
using DistillDiff.Training.Runs;
using DistillDiff.Training.Trainers;

/// <summary>
/// How every command ends: a refused input (recipe, weight file, run folder, option) is one <c>error:</c> line and
/// exit code 1; a run stopped by SIGINT/SIGTERM says how to resume and exits 130/143; anything else is a bug and
/// keeps its stack trace (exit code 2). Commands added elsewhere wrap their action in <see cref="Guard"/>.
/// </summary>
public static class CommandErrors
{
    public const int Refused = 1;
    public const int Bug = 2;

    public static int Guard(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            action();
            return 0;
        }
        catch (RunStoppedException e)
        {
            Console.Error.WriteLine(e.Message);
            return e.ExitCode;
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine(OneError(e.Message));
            return Refused;
        }
        catch (Exception e)
        {
            // Not a mistake in the user's input: keep the stack trace for a bug report.
            Console.Error.WriteLine($"error: {e.Message}\n{e}");
            return Bug;
        }
    }

    /// <summary>Exceptions that describe a bad input in words the user can act on.</summary>
    public static bool IsUserError(Exception e) => e is RecipeException or InvalidOperationException or InvalidDataException
        or ArgumentException or IOException or UnauthorizedAccessException or TrainingDivergedException or TorchException
        or StateDictMismatchException or ModelConfigException or SafetensorsFormatException or JsonException
        or RunLockedException or OutOfMemoryException;

    /// <summary>One <c>error:</c> line; further lines of a long message are indented under it.</summary>
    public static string OneError(string message)
    {
        var lines = message.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return "error: " + string.Join("\n  ", lines.Length == 0 ? [""] : lines);
    }
}
