// `distilldiff-bench gpu`: the C# half of tools/gpu/bench.sh. Times, on one device, the Fashion-MNIST UNet training
// step (configs/model/unet2d-fmnist.yaml; fp32 and bf16 autocast) and 1- and 4-step student sampling (the "pd" sampler
// on the cosine-logSNR v-prediction setup of configs/diffusion/cosine-v.yaml) at batch 1 and 64, eagerly and as
// CUDA-graph replays. Its twin is `bench_torch.py gpu` (tools/bench/unet_torch.py builds the same UNet in plain
// PyTorch from the model folder written here): same weights, same inputs, same op sequence per step, same counts.
//
//   distilldiff-bench gpu --device cuda|cpu --out DIR [--batch 128] [--warmup 5] [--iters 20] [--repeats 5]
//                         [--sample-batches 1,64] [--sample-steps 1,4] [--sample-iters 20]
//
// Writes DIR/model (the initial weights, diffusers layout), DIR/check.safetensors (a fixed input and this side's
// forward output, for the same-work check) and DIR/csharp.json (medians in ms).
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Samplers;
using DistillDiff.Diffusion.Schedules;
using DistillDiff.Engine;
using DistillDiff.Engine.Amp;
using DistillDiff.Engine.Optim;
using DistillDiff.Engine.Serialization;
using DistillDiff.Models;
using DistillDiff.Models.Checkpoints;
using DistillDiff.Recipes;
using F = DistillDiff.Engine.Functional;

namespace DistillDiff.Bench;

internal static class GpuBench
{
    private const string ModelYaml = "configs/model/unet2d-fmnist.yaml";

    public static int Run(string[] args)
    {
        var o = Options.Parse(args);
        var device = Device.Parse(o.Device);
        Torch.ManualSeed(0);
        Directory.CreateDirectory(o.Out);

        // The model exactly as recipes build it: the YAML fragment bound to the registry's config type.
        var recipe = RecipeLoader.Load(ModelYaml);
        var type = recipe.GetString("model.type") ?? throw new ArgumentException($"{ModelYaml} has no model.type");
        var config = recipe.Bind(ModelRegistry.Get(type).ConfigType, "model");
        using var model = ModelRegistry.Create(type, config);
        ModelFolder.Save(Path.Combine(o.Out, "model"), model, config, type);
        model.To(device);

        var result = new Dictionary<string, object>
        {
            ["side"] = "distilldiff",
            ["device"] = device.ToString(),
            ["libtorch"] = Torch.LibTorchVersion.ToString(),
            ["cuda_graphs_supported"] = Torch.Cuda.GraphsSupported,
            ["fused_adamw"] = device.IsCuda ? AdamW.FusedAvailable(DeviceType.CUDA) : false,
            ["batch"] = o.Batch,
            ["parameters"] = model.TrainableParameters().Sum(p => p.Parameter.NumEl),
        };
        SameWorkCheck(model, device, o.Out);

        var train = new Dictionary<string, object>();
        foreach (var precision in new[] { "fp32", "bf16" })
        {
            var why = Unsupported(precision, device);
            train[precision] = why is null ? TrainStep(model, device, o, precision == "bf16") : new Dictionary<string, object> { ["skipped"] = why };
        }
        result["train_ms"] = train;

        // Sampling: the network in eval mode; eager, then the static-buffer path (a CUDA graph where it can be captured).
        model.Eval();
        var sampling = new List<Dictionary<string, object>>();
        var path = Torch.Cuda.GraphsSupported && device.IsCuda ? "cuda_graph" : "static_buffers";
        foreach (var steps in o.SampleSteps)
            foreach (var batch in o.SampleBatches)
            {
                sampling.Add(SampleLatency(model, device, o, steps, batch, null));
                sampling.Add(SampleLatency(model, device, o, steps, batch, path));
            }
        result["sample_ms"] = sampling;
        File.WriteAllText(Path.Combine(o.Out, "csharp.json"), JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"distilldiff-bench gpu: {device}, results in {Path.Combine(o.Out, "csharp.json")}");
        return 0;
    }

    private static string? Unsupported(string precision, Device device) =>
        precision == "bf16" && !device.IsCuda && Torch.LibTorchVersion < MixedPrecision.MinCpuVersion
            ? $"bf16 autocast on the CPU needs libtorch {MixedPrecision.MinCpuVersion}+ (this is {Torch.LibTorchVersion})"
            : null;

    // Inputs both sides compute with the same float64 formula, then cast: identical bits on every machine.
    internal static Tensor Wave(long[] shape, double freq, bool cos, Device device)
    {
        using var scope = Torch.NewDisposeScope();
        var n = shape.Aggregate(1L, (a, b) => a * b);
        var i = Torch.Arange(0, n, 1, DType.Float64) * freq;
        var w = (cos ? i.Cos() : i.Sin()).To(DType.Float32, device).Reshape(shape);
        return scope.MoveOut(w);
    }

    private static Tensor Labels(long batch, Device device) =>
        Torch.FromSpan<long>(Enumerable.Range(0, (int)batch).Select(i => (long)(i % 10)).ToArray(), [batch], device);

    // Timesteps (t * 1000 - 1 for t = (i + 0.5) / B) and the same for the check input.
    private static Tensor Timesteps(long batch, Device device)
    {
        using var scope = Torch.NewDisposeScope();
        var t = (Torch.Arange(0, batch, 1, DType.Float32, device) + 0.5) / batch;
        return scope.MoveOut(t * 1000 - 1);
    }

    private static void SameWorkCheck(DenoiserBackbone model, Device device, string outDir)
    {
        using var scope = Torch.NewDisposeScope();
        using var noGrad = Torch.NoGrad();
        var z = Wave([4, 1, 28, 28], 0.01, false, device);
        var ts = Timesteps(4, device);
        var y = Labels(4, device);
        var output = model.Forward(z, ts, y);
        StateDictFile.Save(Path.Combine(outDir, "check.safetensors"), new Dictionary<string, Tensor>
        {
            ["input"] = z.Cpu(), ["timesteps"] = ts.Cpu(), ["labels"] = y.Cpu(), ["output"] = output.Cpu(),
        });
    }

    // One training step: denoiser forward at static inputs, MSE to a static target, backward, AdamW (fused on CUDA,
    // as torch.optim.AdamW(fused=True) on the Python side), zero_grad. The data and noise are fixed tensors so the
    // number is the step's compute, not the data pipeline's.
    private static Dictionary<string, object> TrainStep(DenoiserBackbone model, Device device, Options o, bool bf16)
    {
        model.Train();
        using var scope = Torch.NewDisposeScope();
        var z = Wave([o.Batch, 1, 28, 28], 0.01, false, device);
        var target = Wave([o.Batch, 1, 28, 28], 0.013, true, device);
        var ts = Timesteps(o.Batch, device);
        var y = Labels(o.Batch, device);
        // A copy of the weights per precision: both precisions start from the same weights and leave the model as it was.
        var saved = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        using var opt = new AdamW(model.TrainableParameters(), lr: 1e-4, weightDecay: 0.01);
        void Step()
        {
            using var step = Torch.NewDisposeScope();
            Tensor loss;
            using (bf16 ? Torch.Autocast(DType.BFloat16, device.Type) : null) loss = F.MseLoss(model.Forward(z, ts, y).Float(), target);
            loss.Backward();
            opt.Step();
            opt.ZeroGrad();
        }
        var ms = Time(Step, o.Warmup, o.Iters, o.Repeats, device);
        using (Torch.NoGrad())
            foreach (var (name, t) in model.StateDict())
                t.Copy_(saved[name]);
        return new Dictionary<string, object> { ["median_ms"] = ms.Median, ["all_ms"] = ms.All };
    }

    private static Dictionary<string, object> SampleLatency(DenoiserBackbone model, Device device, Options o, int steps, int batch, string? path)
    {
        var schedule = ScheduleRegistry.Create(new NoiseScheduleConfig("cosine_logsnr", 1000, 1e-4, 0.02, false));
        var denoiser = new Denoiser(model, schedule, Prediction.V);
        var sched = SamplerRegistry.Create("pd", SchedulerConfig.ForClass(SamplerRegistry.ClassNameOf("pd")) with
        {
            BetaSchedule = "cosine_logsnr", NumTrainTimesteps = 1000, PredictionType = "v_prediction",
        });
        using var staticBackbone = path is null ? null : new StaticBackbone(model, captureGraphs: path == "cuda_graph");
        if (staticBackbone is not null) denoiser = denoiser.WithBackboneCall(staticBackbone.Forward);
        using var gen = new Generator(0, device);
        using var labels = Labels(batch, device);
        void Once()
        {
            using var scope = Torch.NewDisposeScope();
            Sampling.Sample(denoiser, sched, steps, [batch, 1, 28, 28], labels, gen);
        }
        // Each sample is one sampler call (Time synchronizes after it): latency, not throughput.
        var ms = Time(Once, o.Warmup, 1, o.SampleIters, device);
        return new Dictionary<string, object>
        {
            ["steps"] = steps, ["batch"] = batch, ["path"] = path ?? "eager", ["median_ms"] = ms.Median, ["all_ms"] = ms.All,
            ["graph_replays"] = staticBackbone?.Replays ?? 0,
        };
    }

    // Median over `repeats` samples of `iters` calls each, in ms per call; the device is synchronized around each sample.
    private static (double Median, double[] All) Time(Action body, int warmup, int iters, int repeats, Device device)
    {
        void Sync()
        {
            if (device.IsCuda) Torch.Cuda.Synchronize();
        }
        for (var i = 0; i < warmup; i++) body();
        Sync();
        var all = new double[repeats];
        for (var r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < iters; i++) body();
            Sync();
            all[r] = clock.Elapsed.TotalMilliseconds / iters;
        }
        var sorted = all.Order().ToArray();
        return (sorted[sorted.Length / 2], all);
    }

    private sealed record Options(string Device, string Out, int Batch, int Warmup, int Iters, int Repeats, int[] SampleBatches,
        int[] SampleSteps, int SampleIters)
    {
        public static Options Parse(string[] args)
        {
            var o = new Options("cuda", "", 128, 5, 20, 5, [1, 64], [1, 4], 20);
            for (var i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                int Int() => int.Parse(Next(), NumberStyles.None, CultureInfo.InvariantCulture);
                int[] Ints() => Next().Split(',').Select(s => int.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray();
                o = args[i] switch
                {
                    "--device" => o with { Device = Next() },
                    "--out" => o with { Out = Next() },
                    "--batch" => o with { Batch = Int() },
                    "--warmup" => o with { Warmup = Int() },
                    "--iters" => o with { Iters = Int() },
                    "--repeats" => o with { Repeats = Int() },
                    "--sample-batches" => o with { SampleBatches = Ints() },
                    "--sample-steps" => o with { SampleSteps = Ints() },
                    "--sample-iters" => o with { SampleIters = Int() },
                    _ => throw new ArgumentException($"unknown argument '{args[i]}'"),
                };
            }
            if (o.Out.Length == 0) throw new ArgumentException("--out DIR is required");
            if (o.Batch < 1 || o.Iters < 1 || o.Repeats < 1 || o.SampleIters < 1 || o.Warmup < 0)
                throw new ArgumentException("--batch, --iters, --repeats and --sample-iters must be at least 1, --warmup at least 0");
            return o;
        }
    }
}
