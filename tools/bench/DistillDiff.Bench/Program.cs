// C# half of the DistillDiff-vs-PyTorch benchmark. Driver: tools/bench/run.sh → tools/bench/compare.py; Python peer:
// tools/bench/bench_torch.py. Every benchmark here (except those marked C#-only) has a twin there with the same id,
// shapes, dtypes, op sequence, warm-up and iteration counts: keep the two files in step.
//
// The program is a small line-protocol server so that the driver can take C# and Python samples alternately, a few
// milliseconds apart, on a machine whose speed drifts (shared cores):
//   start:  distilldiff-bench --threads N     → one JSON line {"ready": true, "info": ..., "benchmarks": [...]}
//   stdin:  "warmup <id>" | "run <id>" | "info" | "quit"   → one JSON line each on stdout
// A "run" times one sample (Iters iterations) and answers wall and process-CPU seconds per iteration, minor page
// faults and managed bytes allocated per iteration, and for the training step the phase split.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using DistillDiff.Engine;
using DistillDiff.Engine.Nn;
using DistillDiff.Engine.Optim;
using F = DistillDiff.Engine.Functional;

namespace DistillDiff.Bench;

/// <summary>
/// A small UNet-like block: conv(1→32) GN SiLU → conv(32→32, stride 2) GN SiLU → nearest upsample to 28×28,
/// + skip from the first block → conv(32→1). 10 parameter tensors, 10 forward ops.
/// </summary>
internal sealed class Net : Module
{
    private readonly Conv2d _conv1, _conv2, _conv3;
    private readonly GroupNorm _gn1, _gn2;

    public Net()
    {
        _conv1 = RegisterModule("conv1", new Conv2d(1, 32, 3, padding: 1));
        _gn1 = RegisterModule("gn1", new GroupNorm(8, 32));
        _conv2 = RegisterModule("conv2", new Conv2d(32, 32, 3, stride: 2, padding: 1));
        _gn2 = RegisterModule("gn2", new GroupNorm(8, 32));
        _conv3 = RegisterModule("conv3", new Conv2d(32, 1, 3, padding: 1));
    }

    /// <summary>
    /// The way DistillDiff.Models writes Forward (ResnetBlock2D, UNet2DModel, Sequential): temporaries live in a scope
    /// of their own and only the output moves out, so the C# handles of activations are gone when backward runs and
    /// libtorch frees each one as soon as autograd has used it, as in PyTorch.
    /// </summary>
    public Tensor Forward(Tensor x)
    {
        using var scope = Torch.NewDisposeScope();
        return scope.MoveOut(ForwardFlat(x));
    }

    /// <summary>
    /// The same ops with no scope of its own: every temporary lands in the caller's scope (the training step's) and
    /// stays alive until that scope ends, after backward and the optimizer step. Used by the C#-only A/B.
    /// </summary>
    public Tensor ForwardFlat(Tensor x)
    {
        var h1 = _gn1.Forward(_conv1.Forward(x)).Silu();
        var h2 = _gn2.Forward(_conv2.Forward(h1)).Silu();
        var up = F.Interpolate(h2, size: (Program.Height, Program.Width));
        return _conv3.Forward(up + h1);
    }
}

/// <summary>
/// One benchmark: Body(n) runs n iterations. Samples = SampleFactor × the driver's --repeats; a sample is Iters
/// iterations. Ids, names, units and counts must equal bench_torch.py's.
/// </summary>
internal sealed record Bench(string Id, string Name, string Unit, double Scale, int Warmup, int Iters, int SampleFactor,
    bool CSharpOnly, Action<int> Body, Action? Prepare = null);

internal static class Program
{
    public const int Batch = 32, Height = 28, Width = 28;
    private const int ScopeBatch = 100; // ops per DisposeScope in the "add_scope" variant

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static int Main(string[] args)
    {
        if (args is ["gpu", .. var rest])
        {
            try
            {
                return GpuBench.Run(rest);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        }
        var threads = 1;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--threads" && i + 1 < args.Length) threads = int.Parse(args[++i]);
            else
            {
                Console.Error.WriteLine($"unknown argument {args[i]}; usage: distilldiff-bench [--threads N] (then commands on stdin)");
                return 2;
            }
        }

        Torch.NumThreads = threads;
        if (Torch.NumThreads != threads)
            throw new InvalidOperationException($"asked for {threads} threads, libtorch reports {Torch.NumThreads}");
        Torch.ManualSeed(0);

        using var net = new Net();
        DeterministicInit(net);
        var x = Deterministic([Batch, 1, Height, Width], 0.01, cos: false);
        var y = Deterministic([Batch, 1, Height, Width], 0.013, cos: true);
        using var opt = new AdamW(net.TrainableParameters(), lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01);

        // Same-work check: losses of the first 3 steps from identical weights and data (compare.py compares them).
        var losses = new List<double>();
        for (var s = 0; s < 3; s++)
        {
            using var scope = Torch.NewDisposeScope();
            var loss = F.MseLoss(net.Forward(x), y);
            losses.Add(loss.Item());
            loss.Backward();
            opt.Step();
            opt.ZeroGrad();
        }

        double[]? lastPhases = null; // ms: forward+loss, backward, optimizer step, zero_grad + free temporaries
        long ownedPerStep = 0;
        void TrainSteps(int n)
        {
            for (var i = 0; i < n; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                long t1, t2, t3;
                using (var scope = Torch.NewDisposeScope())
                {
                    var loss = F.MseLoss(net.Forward(x), y);
                    t1 = Stopwatch.GetTimestamp();
                    loss.Backward();
                    t2 = Stopwatch.GetTimestamp();
                    opt.Step();
                    t3 = Stopwatch.GetTimestamp();
                    opt.ZeroGrad();
                    ownedPerStep = scope.OwnedCount;
                }
                lastPhases = [Ms(t0, t1), Ms(t1, t2), Ms(t2, t3), Ms(t3, Stopwatch.GetTimestamp())];
            }
        }
        void TrainStepsFlat(int n)
        {
            for (var i = 0; i < n; i++)
            {
                using var scope = Torch.NewDisposeScope();
                var loss = F.MseLoss(net.ForwardFlat(x), y);
                loss.Backward();
                opt.Step();
                opt.ZeroGrad();
            }
        }

        // channels_last and bf16-autocast variants (bench_torch.py has the same), on a second net converted once, with
        // its own optimizer; bf16 only where CPU autocast trains (libtorch 2.4+).
        using var netCl = new Net();
        DeterministicInit(netCl);
        netCl.ToChannelsLast();
        var xCl = x.ChannelsLast();
        using var optCl = new AdamW(netCl.TrainableParameters(), lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01);
        Action<int> TrainWith(Net model, AdamW optimizer, Tensor input, bool bf16) => n =>
        {
            for (var i = 0; i < n; i++)
            {
                using var scope = Torch.NewDisposeScope();
                Tensor loss;
                using (bf16 ? Torch.Autocast(DType.BFloat16) : null) loss = F.MseLoss(model.Forward(input), y);
                loss.Backward();
                optimizer.Step();
                optimizer.ZeroGrad();
            }
        };
        Action<int> InferWith(Net model, Tensor input, bool bf16) => n =>
        {
            for (var i = 0; i < n; i++)
            {
                using var noGrad = Torch.NoGrad();
                using var scope = Torch.NewDisposeScope();
                using (bf16 ? Torch.Autocast(DType.BFloat16) : null) model.Forward(input);
            }
        };
        var variants = new List<Bench>
        {
            new("train_cl", "train step, channels_last", "ms", 1e3, 5, 1, 5, false, TrainWith(netCl, optCl, xCl, false)),
            new("infer_cl", "forward only, no_grad, channels_last", "ms", 1e3, 5, 1, 5, false, InferWith(netCl, xCl, false)),
        };
        if (Torch.LibTorchVersion >= DistillDiff.Engine.Amp.MixedPrecision.MinCpuVersion)
            variants.AddRange([
                new("train_bf16", "train step, bf16 autocast", "ms", 1e3, 5, 1, 5, false, TrainWith(net, opt, x, true)),
                new("infer_bf16", "forward only, no_grad, bf16 autocast", "ms", 1e3, 5, 1, 5, false, InferWith(net, x, true)),
                new("train_bf16_cl", "train step, bf16 autocast, channels_last", "ms", 1e3, 5, 1, 5, false, TrainWith(netCl, optCl, xCl, true)),
            ]);

        var a = Torch.Full([1], 1.5);
        var b = Torch.Full([1], 2.5);
        var sink = 0L;
        var benches = new List<Bench>
        {
            new("train", "train step (fwd+loss+bwd+AdamW+zero_grad)", "ms", 1e3, 5, 1, 5, false, TrainSteps),
            new("train_flat", "train step, forward temporaries held by the step's scope", "ms", 1e3, 5, 1, 5, true, TrainStepsFlat),
            new("adamw", "AdamW step alone (10 params, 10.3k elems)", "us", 1e6, 20, 50, 3, false, n =>
            {
                for (var i = 0; i < n; i++) opt.Step();
            }, Prepare: () =>
            {
                // gradients from one backward, kept across the steps (the driver runs no other benchmark in between)
                using var scope = Torch.NewDisposeScope();
                F.MseLoss(net.Forward(x), y).Backward();
            }),
            new("infer", "forward only, no_grad", "ms", 1e3, 5, 1, 5, false, n =>
            {
                for (var i = 0; i < n; i++)
                {
                    using var noGrad = Torch.NoGrad();
                    using var scope = Torch.NewDisposeScope();
                    net.Forward(x);
                }
            }),
            new("add", "a + b, 1 elem (result freed at once)", "us", 1e6, 5000, 5000, 3, false, n =>
            {
                for (var i = 0; i < n; i++) (a + b).Dispose();
            }),
            new("mul", "x.Mul(2.0), 1 elem (result freed at once)", "us", 1e6, 5000, 5000, 3, false, n =>
            {
                for (var i = 0; i < n; i++) a.Mul(2.0).Dispose();
            }),
            new("dim", "x.Dim (native metadata call)", "us", 1e6, 5000, 20000, 3, false, n =>
            {
                for (var i = 0; i < n; i++) sink += a.Dim;
            }),
            new("shape", "x.Shape (native call + long[] alloc)", "us", 1e6, 5000, 20000, 3, false, n =>
            {
                for (var i = 0; i < n; i++) sink += a.Shape.Length;
            }),
            new("grad_mode", "grad-mode query (bare native call)", "us", 1e6, 5000, 20000, 3, false, n =>
            {
                for (var i = 0; i < n; i++) sink += GradMode.IsEnabled ? 1 : 0;
            }),
            new("loop", "empty loop iteration", "us", 1e6, 5000, 20000, 3, false, n =>
            {
                for (var i = 0; i < n; i++) sink += i;
            }),
            new("add_scope", $"a + b, 1 elem (freed by a DisposeScope per {ScopeBatch} ops)", "us", 1e6, 5000, 5000, 3, true, n =>
            {
                for (var i = 0; i < n; i += ScopeBatch)
                    using (Torch.NewDisposeScope())
                        for (var j = 0; j < ScopeBatch; j++) _ = a + b;
            }),
            new("alias", "x.Alias().Dispose() (handle new + free, no ATen op)", "us", 1e6, 5000, 20000, 3, true, n =>
            {
                for (var i = 0; i < n; i++) a.Alias().Dispose();
            }),
            new("scope", "empty DisposeScope open + close", "us", 1e6, 5000, 20000, 3, true, n =>
            {
                for (var i = 0; i < n; i++) Torch.NewDisposeScope().Dispose();
            }),
            new("no_grad", "Torch.NoGrad() enter + exit", "us", 1e6, 5000, 20000, 3, true, n =>
            {
                for (var i = 0; i < n; i++) Torch.NoGrad().Dispose();
            }),
        };
        benches.AddRange(variants);
        var byId = benches.ToDictionary(bm => bm.Id);

        var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        void Reply(object o) => stdout.WriteLine(JsonSerializer.Serialize(o, Json));

        Reply(new Dictionary<string, object>
        {
            ["ready"] = true,
            ["info"] = new Dictionary<string, object>
            {
                ["side"] = "csharp",
                ["threads"] = Torch.NumThreads,
                ["libtorch"] = Torch.LibTorchVersion.ToString(),
                ["runtime"] = RuntimeInformation.FrameworkDescription,
                ["parallel_info"] = Torch.ParallelInfo(),
            },
            ["loss_check"] = losses,
            ["benchmarks"] = benches.Select(bm => new Dictionary<string, object>
            {
                ["id"] = bm.Id, ["name"] = bm.Name, ["unit"] = bm.Unit, ["warmup"] = bm.Warmup, ["iters"] = bm.Iters,
                ["sample_factor"] = bm.SampleFactor, ["csharp_only"] = bm.CSharpOnly,
            }).ToList(),
        });

        string? line;
        while ((line = Console.In.ReadLine()) != null)
        {
            var cmd = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (cmd.Length == 0) continue;
            if (cmd[0] == "quit") break;
            try
            {
                switch (cmd[0])
                {
                    case "warmup":
                        byId[cmd[1]].Prepare?.Invoke();
                        byId[cmd[1]].Body(byId[cmd[1]].Warmup);
                        Reply(new Dictionary<string, object> { ["ok"] = true });
                        break;
                    case "run":
                    {
                        var bm = byId[cmd[1]];
                        lastPhases = null;
                        var f0 = MinorFaults();
                        var gen0 = GC.CollectionCount(0);
                        var alloc0 = GC.GetAllocatedBytesForCurrentThread();
                        var c0 = CpuSeconds();
                        var t0 = Stopwatch.GetTimestamp();
                        bm.Body(bm.Iters);
                        var wall = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                        var cpu = CpuSeconds() - c0;
                        var alloc = GC.GetAllocatedBytesForCurrentThread() - alloc0;
                        var gcs = GC.CollectionCount(0) - gen0;
                        var r = new Dictionary<string, object>
                        {
                            ["wall"] = wall / bm.Iters * bm.Scale,
                            ["cpu"] = cpu / bm.Iters * bm.Scale,
                            ["faults"] = (MinorFaults() - f0) / (double)bm.Iters,
                            ["alloc_bytes"] = alloc / (double)bm.Iters,
                            ["gen0"] = gcs,
                        };
                        if (lastPhases != null) r["phases"] = lastPhases;
                        Reply(r);
                        break;
                    }
                    case "info":
                        Reply(new Dictionary<string, object>
                        {
                            ["finalized_tensors"] = Tensor.FinalizedCount,
                            ["live_tensors"] = Torch.LiveTensorCount,
                            ["tensors_owned_by_step_scope"] = ownedPerStep,
                        });
                        break;
                    default:
                        Reply(new Dictionary<string, object> { ["error"] = $"unknown command '{line}'" });
                        break;
                }
            }
            catch (Exception e) when (e is KeyNotFoundException or IndexOutOfRangeException)
            {
                Reply(new Dictionary<string, object> { ["error"] = $"bad command '{line}': {e.Message}" });
            }
        }
        GC.KeepAlive(sink);
        foreach (var t in new[] { a, b, x, y }) t.Dispose();
        return 0;
    }

    private static double Ms(long from, long to) => (to - from) * 1e3 / Stopwatch.Frequency;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds, Nanoseconds;
    }

    [DllImport("libc.so.6", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec ts);

    /// <summary>CPU time of the whole process (CLOCK_PROCESS_CPUTIME_ID, the clock of Python's time.process_time).</summary>
    private static double CpuSeconds() => ClockGetTime(2, out var ts) == 0 ? ts.Seconds + ts.Nanoseconds * 1e-9 : double.NaN;

    /// <summary>Minor page faults of this process (Linux /proc/self/stat field 10), -1 elsewhere.</summary>
    private static long MinorFaults()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[7], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }

    /// <summary>sin(k·i) or cos(k·i) for i = 0..n-1, float32: bit-identical to the Python side's tensors.</summary>
    private static Tensor Deterministic(long[] shape, double k, bool cos)
    {
        using var scope = Torch.NewDisposeScope();
        var t = Torch.Arange(0.0, shape.Aggregate(1L, (p, d) => p * d)).Mul(k);
        return DisposeScope.Detach((cos ? t.Cos() : t.Sin()).Reshape(shape));
    }

    /// <summary>Parameters (sorted by name) set to 0.2·sin(0.37·(i + 1000·index)), as in bench_torch.py.</summary>
    private static void DeterministicInit(Module m)
    {
        using var noGrad = Torch.NoGrad();
        var k = 0;
        foreach (var (_, p) in m.NamedParameters().OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            using var scope = Torch.NewDisposeScope();
            p.Copy_(Torch.Arange(0.0, p.NumEl).Add(1000.0 * k).Mul(0.37).Sin().Mul(0.2).Reshape(p.Shape));
            k++;
        }
    }
}
