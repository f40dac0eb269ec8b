namespace DistillDiff.Export.Evaluation;

using System.Diagnostics;
using System.Text;
using System.Text.Json;
using DistillDiff.Data.Datasets;
using DistillDiff.Engine;
using DistillDiff.Export.Onnx;
using DistillDiff.Export.Quantization;
using DistillDiff.Export.Runtime;
using DistillDiff.Export.Sampling;
using DistillDiff.Recipes;
using DistillDiff.Training.Config;
using DistillDiff.Training.Evaluation;
using Google.Protobuf;

/// <summary>
/// The deployment table of one student: the float network in libtorch and ONNX Runtime, the Q-Diffusion-style
/// quantized variants (W8A8 as ORT int8 kernels, W8A8 and W4A8 fake-quantized in libtorch) and naive min-max PTQ for contrast, each
/// scored by the run's own evaluation suite on the same noise and labels as the training's step-count evaluation,
/// with per-sample latency at batch 1 and 64.
/// </summary>
public static class DeployEvaluation
{
    public static IReadOnlyList<DeployRow> Run(string folder, string? runDir, int? steps, int? evalSamples, int calibration, ulong seed,
        int repeats, Action<string> log)
    {
        runDir ??= Path.GetFullPath(Path.Combine(folder, "..", ".."));
        var configPath = Path.Combine(runDir, "config.yaml");
        if (!File.Exists(configPath))
            throw new FileNotFoundException($"{configPath}: the run's config.yaml (data and eval settings) is missing; pass --run-dir", configPath);
        var job = JobConfig.From(RecipeLoader.Load(configPath));
        var eval = evalSamples is int n ? job.Eval with { NumSamples = n } : job.Eval;
        var data = DatasetRegistry.Default.Create(job.Data);

        using var student = StudentFolder.Load(folder);
        var nSteps = steps ?? student.DistilledSteps ?? throw new ArgumentException($"{folder}: pass --steps");
        var spec = student.Spec(nSteps);
        using var evaluator = new Evaluator(data, eval, Device.CPU, spec.ClassConditional, job.Diffusion.ToSchedulerConfig());
        var threads = Torch.NumThreads;
        var rows = new List<DeployRow>();
        void Add(DeployRow r)
        {
            rows.Add(r);
            log($"{r.Variant,-28} {r.Backend,-24} {string.Join("  ", r.Metrics.Select(kv => $"{kv.Key} {kv.Value:F4}"))}  " +
                $"batch1 {Ms(r.MsPerSampleBatch1)}  batch64 {Ms(r.MsPerSampleBatch64)}  {r.Kernels}");
        }

        // fp32 libtorch: exactly the training's evaluation.
        var denoiser = student.Denoiser();
        var (metrics, samples) = evaluator.Evaluate(denoiser, "pd", nSteps);
        samples.Dispose();
        Add(new DeployRow("fp32", "libtorch", metrics, LatencyTorch(student, spec, 1, repeats), LatencyTorch(student, spec, 64, Math.Max(1, repeats / 5))));

        var fp32 = OnnxExporter.Export(student.Model).ToByteArray();
        using (var ort = new OrtNetwork(fp32, threads: threads))
            Add(OrtRow("fp32", "ORT", ort, spec, evaluator, eval, data, repeats) with { Kernels = Kernels(fp32) });

        // W8A8 runs as int8 kernels in ORT; W4A8 has no 4-bit kernels there, so it is scored fake-quantized in libtorch
        // (the same parameters as its QDQ graph: FakeQuantModel), as is W8A8 for the gap between kernels and simulation.
        foreach (var config in new[] { new QuantConfig(8, 8), QuantConfig.Naive(8, 8) })
        {
            var (bytes, _) = QuantizeJob.Build(student.Model, spec, config, calibration, seed);
            using var ort = new OrtNetwork(bytes, optimize: true, threads: threads);
            Add(OrtRow(config.Label, "ORT int8 kernels", ort, spec, evaluator, eval, data, repeats) with { Kernels = Kernels(bytes) });
        }
        foreach (var config in new[] { new QuantConfig(8, 8), new QuantConfig(4, 8), QuantConfig.Naive(4, 8) })
        {
            var (_, policy) = QuantizeJob.Build(student.Model, spec, config, calibration, seed);
            using var fq = StudentFolder.Load(folder);
            using var hooks = FakeQuantModel.Apply(fq.Model, policy);
            var (m, s) = evaluator.Evaluate(fq.Denoiser(), "pd", nSteps);
            s.Dispose();
            Add(new DeployRow(config.Label, "libtorch fake-quant", m, LatencyTorch(fq, spec, 1, repeats), LatencyTorch(fq, spec, 64, Math.Max(1, repeats / 5))));
        }
        return rows;
    }

    /// <summary>Markdown table of the rows.</summary>
    public static string Table(IReadOnlyList<DeployRow> rows, string title)
    {
        var metricNames = rows.SelectMany(r => r.Metrics.Keys).Distinct().ToList();
        var sb = new StringBuilder();
        sb.AppendLine($"| {title} | backend | {string.Join(" | ", metricNames)} | ms/sample, batch 1 | ms/sample, batch 64 | weight-layer kernels ORT ran |");
        sb.AppendLine($"|---|---|{string.Concat(metricNames.Select(_ => "---:|"))}---:|---:|---|");
        foreach (var r in rows)
            sb.AppendLine($"| {r.Variant} | {r.Backend} | {string.Join(" | ", metricNames.Select(m => r.Metrics.TryGetValue(m, out var v) ? v.ToString("F4") : ""))} | {Ms(r.MsPerSampleBatch1)} | {Ms(r.MsPerSampleBatch64)} | {r.Kernels ?? ""} |");
        return sb.ToString();
    }

    public static void Save(IReadOnlyList<DeployRow> rows, string path) =>
        File.WriteAllText(path, JsonSerializer.Serialize(rows, SamplerSpec.Json));

    /// <summary>The weight-layer ops (float and int8) in the graph ORT runs.</summary>
    private static string Kernels(byte[] model)
    {
        var ops = OrtNetwork.OptimizedOps(model);
        string[] weightOps = ["Conv", "Gemm", "MatMul", "FusedConv", "FusedGemm", "FusedMatMul", .. OrtNetwork.Int8Ops];
        return string.Join(", ", weightOps.Where(ops.ContainsKey).Select(o => $"{o} {ops[o]}"));
    }

    private static string Ms(double? v) => v is double d ? d.ToString(d < 1 ? "F3" : "F2") : "-";

    /// <summary>Samples through ORT with the evaluator's noise and labels (its seeded generator, same draw order), then scores them.</summary>
    private static DeployRow OrtRow(string variant, string backend, OrtNetwork ort, SamplerSpec spec, Evaluator evaluator, EvalConfig eval,
        IDataset data, int repeats)
    {
        const int chunk = 500; // Evaluator's chunk: labels and noise are drawn per chunk in this order
        var total = (int)Math.Min(eval.NumSamples, data.Count);
        using var gen = new Generator(eval.Seed, Device.CPU);
        var parts = new List<float>();
        for (var done = 0; done < total; done += chunk)
        {
            var n = Math.Min(chunk, total - done);
            using var scope = Torch.NewDisposeScope();
            var labels = spec.ClassConditional ? Torch.RandInt(0, data.NumClasses, [n], gen).ToArray<long>() : null;
            var z = Torch.Randn([n, .. spec.SampleShape], gen).ToArray<float>();
            for (var b = 0; b < n; b += 100)
            {
                // ORT in sub-batches of 100: the same samples, less memory for the UNet activations.
                var m = Math.Min(100, n - b);
                var per = (int)spec.SampleShape.Aggregate(1L, (x, y) => x * y);
                parts.AddRange(JsonSampler.Sample(ort, spec, z.AsSpan(b * per, m * per).ToArray(), m, labels?.Skip(b).Take(m).ToArray()));
            }
        }
        using var all = Torch.FromArray(parts.ToArray(), [total, .. spec.SampleShape]);
        var metrics = evaluator.Score(all);
        return new DeployRow(variant, backend, metrics, LatencyOrt(ort, spec, 1, repeats), LatencyOrt(ort, spec, 64, Math.Max(1, repeats / 5)));
    }

    private static double LatencyOrt(OrtNetwork ort, SamplerSpec spec, int batch, int repeats)
    {
        var per = spec.SampleShape.Aggregate(1L, (a, b) => a * b);
        var z = new float[batch * per];
        var rng = new Random(0);
        for (var i = 0; i < z.Length; i++) z[i] = (float)(rng.NextDouble() * 2 - 1);
        var labels = spec.ClassConditional ? new long[batch] : null;
        return Median(repeats, () => JsonSampler.Sample(ort, spec, z, batch, labels)) / batch;
    }

    private static double LatencyTorch(StudentFolder student, SamplerSpec spec, int batch, int repeats)
    {
        using var labels = spec.ClassConditional ? Torch.Zeros([batch], DType.Int64) : null;
        return Median(repeats, () =>
        {
            using var gen = new Generator(0);
            using var x = student.SamplePd(spec.NumSteps, batch, labels, gen);
        }) / batch;
    }

    /// <summary>Median wall time in ms over <paramref name="repeats"/> runs after one warm-up run.</summary>
    private static double Median(int repeats, Action run)
    {
        run();
        var times = new List<double>();
        for (var i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            run();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }
}
