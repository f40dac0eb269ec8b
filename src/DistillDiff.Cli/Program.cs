using DistillDiff.Cli;

var parsed = Commands.Root().Parse(args);
if (parsed.Errors.Count > 0 && !args.Any(a => a is "-h" or "--help" or "-?"))
{
    // A mistyped option is a refused input like any other: one error: line and exit code 1 (help stays one --help away).
    Console.Error.WriteLine(CommandErrors.OneError(string.Join("\n", parsed.Errors.Select(e => e.Message)) + "\n(see distilldiff --help)"));
    return CommandErrors.Refused;
}
return parsed.Invoke();
