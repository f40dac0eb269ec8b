namespace DistillDiff.Cli;

using System.CommandLine;
using DistillDiff.Export;

/// <summary>`distilldiff export &lt;model-folder&gt; --format onnx [--steps N] [--out DIR]`.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var folder = new Argument<string>("model-folder") { Description = "a model folder, e.g. checkpoints/quickstart/models/student-1steps" };
        var format = new Option<string>("--format") { Description = "onnx", DefaultValueFactory = _ => "onnx" };
        var steps = new Option<int?>("--steps") { Description = "sampling steps for sampler.json (default: the steps the student was distilled for)" };
        var output = new Option<string?>("--out") { Description = "output folder (default: <model-folder>/onnx)" };
        var cmd = new Command("export", "the network as ONNX (opset 17, dynamic batch) plus sampler.json, for apps without DistillDiff") { folder, format, steps, output };
        cmd.SetAction(p => CommandErrors.Guard(() =>
            Console.WriteLine(ExportJob.Run(p.GetValue(folder)!, p.GetValue(format)!, p.GetValue(steps), p.GetValue(output)))));
        return cmd;
    }
}
