namespace DistillDiff.Cli;

using System.CommandLine;
using DistillDiff.Export.Evaluation;
using DistillDiff.Export.Quantization;

/// <summary>
/// `distilldiff quantize &lt;model-folder&gt; --weights 8|4 --activations 8|none [--range mse|minmax|percentile] [--no-split]`
/// writes a QDQ ONNX model; with --evaluate it measures the deployment table (quality and latency of every variant).
/// </summary>
internal static class QuantizeCommand
{
    public static Command Create()
    {
        var folder = new Argument<string>("model-folder") { Description = "a student model folder" };
        var weights = new Option<string>("--weights") { Description = "weight bits: 8 or 4 (per-channel)", DefaultValueFactory = _ => "8" };
        var activations = new Option<string>("--activations") { Description = "activation bits: 8 or none", DefaultValueFactory = _ => "8" };
        var range = new Option<string>("--range") { Description = "range method: mse (default), percentile or minmax (naive PTQ)", DefaultValueFactory = _ => "mse" };
        var noSplit = new Option<bool>("--no-split") { Description = "one activation range for the whole skip concatenation (naive) instead of one per half" };
        var steps = new Option<int?>("--steps") { Description = "sampling steps (default: the steps the student was distilled for)" };
        var calibration = new Option<int>("--calibration") { Description = "trajectories sampled for calibration", DefaultValueFactory = _ => 256 };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 0UL };
        var output = new Option<string?>("--out") { Description = "output folder (default: <model-folder>/onnx)" };
        var evaluate = new Option<bool>("--evaluate") { Description = "measure quality and latency of fp32, W8A8, W4A8 (and naive PTQ) instead of writing one model" };
        var runDir = new Option<string?>("--run-dir") { Description = "the training run whose config.yaml gives data and eval settings (default: two folders above the model)" };
        var evalSamples = new Option<int?>("--eval-samples") { Description = "samples per evaluation (default: the run's eval.num_samples)" };
        var repeats = new Option<int>("--repeats") { Description = "timed repeats at batch 1 (batch 64: a fifth of them)", DefaultValueFactory = _ => 20 };
        var cmd = new Command("quantize", "post-training quantization (Q-Diffusion style) to a QDQ ONNX model that ONNX Runtime runs with int8 kernels")
        {
            folder, weights, activations, range, noSplit, steps, calibration, seed, output, evaluate, runDir, evalSamples, repeats,
        };
        cmd.SetAction(p => CommandErrors.Guard(() =>
        {
            var dir = p.GetValue(folder)!;
            if (p.GetValue(evaluate))
            {
                var rows = DeployEvaluation.Run(dir, p.GetValue(runDir), p.GetValue(steps), p.GetValue(evalSamples), p.GetValue(calibration),
                    p.GetValue(seed), p.GetValue(repeats), Console.WriteLine);
                var outDir = p.GetValue(output) ?? Path.Combine(dir, "onnx");
                Directory.CreateDirectory(outDir);
                DeployEvaluation.Save(rows, Path.Combine(outDir, "deploy_eval.json"));
                var table = DeployEvaluation.Table(rows, Path.GetFileName(Path.GetFullPath(dir)));
                File.WriteAllText(Path.Combine(outDir, "deploy_eval.md"), table);
                Console.WriteLine(table);
                return;
            }
            var config = new QuantConfig(
                ParseBits(p.GetValue(weights)!, "--weights", allowNone: false),
                ParseBits(p.GetValue(activations)!, "--activations", allowNone: true),
                ParseRange(p.GetValue(range)!, weightsToo: true),
                ParseRange(p.GetValue(range)!, weightsToo: false),
                SplitShortcut: !p.GetValue(noSplit));
            Console.WriteLine(QuantizeJob.Run(dir, config, p.GetValue(steps), p.GetValue(output), p.GetValue(calibration), p.GetValue(seed)));
        }));
        return cmd;
    }

    private static int? ParseBits(string value, string option, bool allowNone) => value switch
    {
        "8" => 8,
        "4" when option == "--weights" => 4,
        "none" when allowNone => null,
        _ => throw new ArgumentException($"{option} '{value}' is not supported (expected {(option == "--weights" ? "8 or 4" : "8 or none")})"),
    };

    private static RangeMethod ParseRange(string value, bool weightsToo) => value switch
    {
        "mse" => RangeMethod.Mse,
        "minmax" => RangeMethod.MinMax,
        // Percentiles are for activations; weights are all kept, so their range is min-max.
        "percentile" => weightsToo ? RangeMethod.MinMax : RangeMethod.Percentile,
        _ => throw new ArgumentException($"--range '{value}' is not supported (expected mse, percentile or minmax)"),
    };
}
