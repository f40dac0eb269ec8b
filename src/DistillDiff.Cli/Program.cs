using System.CommandLine;
using DistillDiff.Cli;

return Commands.Root().Parse(args).Invoke();
