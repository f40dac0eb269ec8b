namespace DistillDiff.Cli;

using System.CommandLine;
using DistillDiff.Data.Datasets;
using DistillDiff.Diffusion.Samplers;
using DistillDiff.Diffusion.Schedules;
using DistillDiff.Engine;
using DistillDiff.Engine.Nn;
using DistillDiff.Models;
using DistillDiff.Models.Checkpoints;
using DistillDiff.Recipes;
using DistillDiff.Training.Classifier;
using DistillDiff.Training.Evaluation;
using DistillDiff.Training.Methods;
using DistillDiff.Training.Trainers;

/// <summary>The `distilldiff` command line: train, resume, sample, info, list.</summary>
public static class Commands
{
    public static RootCommand Root()
    {
        var root = new RootCommand("DistillDiff: distill diffusion models into fast few-step students");
        root.Subcommands.Add(Train());
        root.Subcommands.Add(Resume());
        root.Subcommands.Add(Sample());
        root.Subcommands.Add(Info());
        root.Subcommands.Add(List());
        root.Subcommands.Add(ConvertCommand.Create(Guard));
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(QuantizeCommand.Create());
        root.Subcommands.Add(EvalCommand.Create(Guard));
        root.Subcommands.Add(ReportCommand.Create(Guard));
        return root;
    }

    private static Command Train()
    {
        var recipe = new Argument<string>("recipe") { Description = "recipe YAML (e.g. recipes/quickstart.yaml)" };
        var set = new Option<string[]>("--set") { Description = "override a key: --set teacher.lr=1e-4 (repeatable)" };
        var overwrite = new Option<bool>("--overwrite") { Description = "delete an existing run folder of the same name first" };
        var runDir = new Option<string?>("--run-dir") { Description = "run folder (default: run.output_dir/run.name)" };
        var nproc = NprocOption();
        var cmd = new Command("train", "train a teacher and distill it, as the recipe says") { recipe, set, overwrite, runDir, nproc };
        cmd.SetAction(p => Launcher.ShouldLaunch(p.GetValue(nproc)) ? Launcher.Run(p.GetValue(nproc)) : Guard(() =>
        {
            var r = RecipeLoader.Load(p.GetValue(recipe)!, p.GetValue(set) ?? [], environment: RecipeLoader.EnvironmentLayer());
            if (ClassifierTraining.IsClassifierRecipe(r)) { ClassifierTraining.Run(r, p.GetValue(runDir)); return; }
            using var job = TrainingJob.Start(r, p.GetValue(overwrite), p.GetValue(runDir));
            job.Execute();
        }));
        return cmd;
    }

    private static Command Resume()
    {
        var dir = new Argument<string>("run-dir") { Description = "the run folder of a stopped run (e.g. checkpoints/quickstart)" };
        var nproc = NprocOption();
        var cmd = new Command("resume", "continue a stopped run from its last checkpoint") { dir, nproc };
        cmd.SetAction(p => Launcher.ShouldLaunch(p.GetValue(nproc)) ? Launcher.Run(p.GetValue(nproc)) : Guard(() =>
        {
            using var job = TrainingJob.Resume(p.GetValue(dir)!);
            job.Execute();
        }));
        return cmd;
    }

    private static Option<int> NprocOption() => new("--nproc")
    {
        Description = "data-parallel processes on this machine (per-rank batch = the recipe's; see docs/distributed.md)",
        DefaultValueFactory = _ => 1,
    };

    private static Command Sample()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "a model folder, e.g. checkpoints/quickstart/models/student-1steps" };
        var steps = new Option<int>("--steps") { Description = "sampling steps", Required = true };
        var sampler = new Option<string?>("--sampler") { Description = "a sampler: " + string.Join(", ", SamplerRegistry.Names) + " (default: the model's own from its distilldiff.json: pd, the continuous DDIM teachers and progressive students use; few_step for adversarial students)" };
        var output = new Option<string>("--out") { Description = "output PNG", Required = true };
        var count = new Option<int>("--count") { Description = "number of samples", DefaultValueFactory = _ => 64 };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 0UL };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "auto" };
        var label = new Option<int?>("--label") { Description = "class label for class-conditional models" };
        var graphs = CudaGraphsOption();
        var cmd = new Command("sample", "draw samples from a model folder into a PNG") { checkpoint, steps, sampler, output, count, seed, device, label, graphs };
        cmd.SetAction(p => Guard(() =>
        {
            var k = OptionBounds.Check("--steps", p.GetValue(steps), 1, OptionBounds.MaxSampleSteps);
            var n = OptionBounds.Check("--count", p.GetValue(count), 1, OptionBounds.MaxSampleCount);
            if (p.GetValue(label) is int l) OptionBounds.Check("--label", l, 0, int.MaxValue);
            Console.WriteLine(SampleCommand.Run(p.GetValue(checkpoint)!, k, p.GetValue(sampler),
                p.GetValue(output)!, n, p.GetValue(seed), p.GetValue(device)!, p.GetValue(label), p.GetValue(graphs)!));
        }));
        return cmd;
    }

    /// <summary>--cuda-graphs for sample and eval (SamplingPaths.Resolve).</summary>
    internal static Option<string> CudaGraphsOption() => new("--cuda-graphs")
    {
        Description = "run the network as CUDA-graph replays: auto (on a CUDA device, else eager), on (or an error), off, " +
                      "static (the graph path's static buffers without a capture)",
        DefaultValueFactory = _ => "auto",
    };

    private static Command Info()
    {
        var cmd = new Command("info", "libtorch version, devices, threads");
        cmd.SetAction(_ => Guard(() =>
        {
            Console.WriteLine($"libtorch        {Torch.LibTorchVersion}");
            Console.WriteLine($"fused attention {(Torch.HasFusedAttention ? "yes (scaled_dot_product_attention)" : "no (plain softmax(QK^T)V fallback)")}");
            Console.WriteLine($"CUDA            {(Torch.Cuda.IsAvailable ? $"available, {Torch.Cuda.DeviceCount} device(s)" : "not available")}");
            Console.WriteLine($"CPU threads     {Torch.NumThreads}");
            Console.WriteLine(Torch.ParallelInfo().TrimEnd());
        }));
        return cmd;
    }

    private static Command List()
    {
        var cmd = new Command("list", "registered models, schedules, samplers, training methods and data sets");
        cmd.SetAction(_ => Guard(() =>
        {
            Console.WriteLine($"models     {string.Join(", ", ModelRegistry.Names)}");
            Console.WriteLine($"schedules  {string.Join(", ", ScheduleRegistry.Names)}");
            Console.WriteLine($"samplers   {string.Join(", ", SamplerRegistry.Names)}");
            Console.WriteLine("methods    teacher: denoising");
            foreach (var m in MethodRegistry.All) Console.WriteLine($"           distill.method {m.Name}: {m.Summary}");
            Console.WriteLine($"datasets   {string.Join(", ", DatasetRegistry.Default.Names)}");
        }));
        return cmd;
    }

    private static int Guard(Action action) => CommandErrors.Guard(action);
}
