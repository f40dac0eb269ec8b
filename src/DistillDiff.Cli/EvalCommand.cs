namespace DistillDiff.Cli;

using System.CommandLine;
using System.Globalization;
using DistillDiff.Export.Evaluation;
using DistillDiff.Training.Evaluation;

/// <summary>`distilldiff eval &lt;model-folder...&gt; --steps 1,2,4 [--sampler NAME] [--out DIR]`.</summary>
public static class EvalCommand
{
    public static Command Create(Func<Action, int> guard)
    {
        var folders = new Argument<string[]>("model-folder") { Description = "model folders (e.g. checkpoints/quickstart/models/teacher ...); also quantize's *.quant.json (the folder fake-quantized in libtorch) and exported *.onnx models (ONNX Runtime)", Arity = ArgumentArity.OneOrMore };
        var steps = new Option<string>("--steps") { Description = "comma-separated step counts, e.g. 1,2,4,8", DefaultValueFactory = _ => "1,2,4,8" };
        var sampler = new Option<string?>("--sampler") { Description = "a registered sampler for every model (default: each model's own, from its distilldiff.json: pd for teachers and progressive students, few_step for adversarial ones)" };
        var output = new Option<string?>("--out") { Description = "output folder (default: <run>/eval next to the first folder's models/)" };
        var numSamples = new Option<int>("--num-samples") { Description = "reference and generated samples per point", DefaultValueFactory = _ => 2000 };
        var teacher = new Option<string?>("--teacher") { Description = "teacher folder: adds PSNR and feature distance to its many-step sample from the same noise" };
        var teacherSteps = new Option<int>("--teacher-steps") { Description = "the teacher's steps (pd sampler)", DefaultValueFactory = _ => 64 };
        var speedBatches = new Option<string>("--speed-batches") { Description = "batch sizes timed for speed; 'none' skips", DefaultValueFactory = _ => "1,64" };
        var speedRepeats = new Option<int>("--speed-repeats") { Description = "timed runs per batch size (the median is reported)", DefaultValueFactory = _ => 3 };
        var dataRecipe = new Option<string?>("--data-recipe") { Description = "recipe whose data: section is the 2-D reference (default: the run's config.yaml)" };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 1234UL };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "auto" };
        var graphs = Commands.CudaGraphsOption();
        var cmd = new Command("eval", "sample quality (FD, KID, precision/recall; SW, energy, MMD for 2-D), teacher agreement and speed at each step count")
        {
            folders, steps, sampler, output, numSamples, teacher, teacherSteps, speedBatches, speedRepeats, dataRecipe, seed, device, graphs,
        };
        cmd.SetAction(p => guard(() => ModelEval.Run(new ModelEvalOptions
        {
            Folders = p.GetValue(folders)!,
            Steps = ParseList(p.GetValue(steps)!, "--steps"),
            Sampler = p.GetValue(sampler),
            Out = p.GetValue(output),
            NumSamples = p.GetValue(numSamples),
            Teacher = p.GetValue(teacher),
            TeacherSteps = p.GetValue(teacherSteps),
            SpeedBatches = p.GetValue(speedBatches) is "none" ? [] : ParseList(p.GetValue(speedBatches)!, "--speed-batches"),
            SpeedRepeats = p.GetValue(speedRepeats) is var r and >= 1 and <= 1000 ? r
                : throw new ArgumentException($"--speed-repeats must be between 1 and 1000, got {p.GetValue(speedRepeats)}"),
            DataRecipe = p.GetValue(dataRecipe),
            Seed = p.GetValue(seed),
            Device = p.GetValue(device)!,
            CudaGraphs = p.GetValue(graphs)!,
            Loader = DeployModels.Load,
        })));
        return cmd;
    }

    private static int[] ParseList(string text, string option)
    {
        try
        {
            var values = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray();
            if (values.Length == 0 || values.Any(v => v <= 0)) throw new FormatException();
            return values;
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new ArgumentException($"{option} must be comma-separated positive integers, e.g. 1,2,4,8; got '{text}'");
        }
    }
}
