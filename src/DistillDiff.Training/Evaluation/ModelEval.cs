namespace DistillDiff.Training.Evaluation;

using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DistillDiff.Data.Datasets;
using DistillDiff.Data.Metrics;
using DistillDiff.Engine;
using DistillDiff.Recipes;

/// <summary>
/// `distilldiff eval`: quality at each step count for any model folders and sampler, against a fixed reference set
/// (N samples drawn with the seed from Fashion-MNIST's 10,000-image test split, or from the run's 2-D data set),
/// with N generated samples from a fixed seed (labels 0, 1, ..., 9, 0, ... for class-conditional
/// models). Optional teacher agreement (PSNR and classifier-feature distance to the teacher's many-step sample from
/// the same noise and labels) and speed (ms per sample, samples/s at batch 1 and 64). Writes eval.csv, eval.json,
/// step_curve.json, plots/ and samples/ into the output folder.
/// </summary>
public static class ModelEval
{
    private const int Chunk = 500;
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static IReadOnlyList<ModelEvalRow> Run(ModelEvalOptions o, TextWriter? log = null)
    {
        log ??= Console.Out;
        if (o.Folders.Count == 0) throw new ArgumentException("eval needs at least one model folder");
        if (o.Steps.Length == 0 || o.Steps.Any(s => s <= 0)) throw new ArgumentException($"--steps must be positive step counts, got [{string.Join(", ", o.Steps)}]");
        if (o.NumSamples < 4) throw new ArgumentException($"--num-samples must be at least 4 (precision/recall use 3 neighbours), got {o.NumSamples}");
        var outDir = Path.GetFullPath(o.Out ?? DefaultOut(o.Folders[0]));
        Directory.CreateDirectory(outDir);
        var device = Device.Parse(o.Device);
        var path = SamplingPaths.Resolve(o.CudaGraphs, device);

        var models = new List<IEvalModel>();
        try
        {
            foreach (var f in o.Folders) models.Add(o.Loader?.Invoke(f, device) ?? LoadedModel.Load(f, device));
            // Only plain model folders take the static-buffer / CUDA-graph path; deployment models run as they are.
            foreach (var m in models.OfType<LoadedModel>()) m.SamplingPath = path;
            var first = models[0];
            foreach (var m in models.Skip(1))
                if (!m.SampleShape.SequenceEqual(first.SampleShape))
                    throw new ArgumentException($"model folders disagree on the sample shape: {first.Folder} makes [{string.Join(", ", first.SampleShape)}], {m.Folder} makes [{string.Join(", ", m.SampleShape)}]");
            var (reference, referenceName) = LoadReference(first, o);
            using var referenceOwner = reference;
            using var classifier = first.IsImage ? new ClassifierFeatures() : null;
            using var scorer = new SampleScorer(reference, classifier, 256, o.Seed);
            var referenceText = classifier is null ? referenceName : $"{referenceName}, features {ClassifierFeatures.Description}";
            log.WriteLine($"reference: {referenceText}; {o.NumSamples} samples per point; device {device}, network calls {SamplingPaths.Name(path)}");

            using var teacher = o.Teacher is null ? null : LoadedModel.Load(o.Teacher, device);
            if (teacher is not null) teacher.SamplingPath = path;
            using var teacherSamples = teacher is null ? null : Generate(teacher, "pd", o.TeacherSteps, o, device);
            using var teacherFeatures = teacherSamples is null ? null : scorer.Features(teacherSamples);

            var rows = new List<ModelEvalRow>();
            var curve = new StepCurve(Path.Combine(outDir, "step_curve.json"));
            foreach (var model in models)
            {
                var sampler = o.Sampler ?? model.OwnSampler;
                foreach (var steps in o.Steps)
                {
                    using var scope = Torch.NewDisposeScope();
                    var samples = Generate(model, sampler, steps, o, device);
                    var metrics = new SortedDictionary<string, double>(scorer.Score(samples), StringComparer.Ordinal);
                    if (teacherSamples is not null)
                    {
                        if (model.IsImage) metrics["psnr_vs_teacher"] = PairedMetrics.Psnr(samples, teacherSamples);
                        metrics["feature_distance_vs_teacher"] = teacherFeatures is null
                            ? PairedMetrics.MeanDistance(samples, teacherSamples)
                            : PairedMetrics.MeanDistance(scorer.Features(samples)!, teacherFeatures);
                    }
                    foreach (var batch in o.SpeedBatches)
                    {
                        var ms = MillisecondsPerSample(model, sampler, steps, batch, o.SpeedRepeats, device);
                        metrics[$"ms_per_sample_b{batch}"] = ms;
                        metrics[$"samples_per_s_b{batch}"] = 1000 / ms;
                    }
                    var row = new ModelEvalRow(model.Name, sampler, steps, referenceText, o.NumSamples, device.ToString(), metrics);
                    rows.Add(row);
                    curve.Add(new StepCurvePoint(model.Name, sampler, steps, new Dictionary<string, double>(metrics)));
                    SamplePicture.Save(samples, Path.Combine(outDir, "samples", $"{model.Name}-{sampler}-{steps}steps.png"), o.GridSamples);
                    log.WriteLine($"{model.Name} {sampler} {steps} steps: " +
                        string.Join(", ", metrics.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:G4}"))));
                }
            }
            Directory.CreateDirectory(Path.Combine(outDir, "plots"));
            curve.SavePlots(Path.Combine(outDir, "plots"), "eval");
            File.WriteAllText(Path.Combine(outDir, "eval.csv"), Csv(rows));
            File.WriteAllText(Path.Combine(outDir, "eval.json"), JsonSerializer.Serialize(new
            {
                Reference = referenceText,
                o.NumSamples,
                o.Seed,
                Device = device.ToString(),
                Sampling = SamplingPaths.Name(path),
                LibTorch = Torch.LibTorchVersion.ToString(),
                Threads = Torch.NumThreads,
                Teacher = o.Teacher is null ? null : $"{o.Teacher} ({o.TeacherSteps} pd steps)",
                Rows = rows,
            }, Json));
            log.WriteLine($"results: {Path.Combine(outDir, "eval.csv")}, {Path.Combine(outDir, "eval.json")}");
            return rows;
        }
        finally
        {
            foreach (var m in models) m.Dispose();
        }
    }

    /// <summary>Header: model, sampler, steps, reference, num_samples, device, then every metric (sorted); blank where absent.</summary>
    public static string Csv(IReadOnlyList<ModelEvalRow> rows)
    {
        var metrics = rows.SelectMany(r => r.Metrics.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var sb = new StringBuilder();
        sb.AppendLine(string.Join(",", new[] { "model", "sampler", "steps", "reference", "num_samples", "device" }.Concat(metrics)));
        foreach (var r in rows)
        {
            var cells = new List<string> { Quote(r.Model), Quote(r.Sampler), r.Steps.ToString(CultureInfo.InvariantCulture), Quote(r.Reference),
                r.NumSamples.ToString(CultureInfo.InvariantCulture), Quote(r.Device) };
            cells.AddRange(metrics.Select(m => r.Metrics.TryGetValue(m, out var v) ? v.ToString("R", CultureInfo.InvariantCulture) : ""));
            sb.AppendLine(string.Join(",", cells));
        }
        return sb.ToString();
    }

    private static string Quote(string s) => s.Contains(',') || s.Contains('"') ? $"\"{s.Replace("\"", "\"\"")}\"" : s;

    private static string DefaultOut(string folder)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(Path.TrimEndingDirectorySeparator(folder)));
        if (parent is not null && Path.GetFileName(parent) == "models")
            return Path.Combine(Path.GetDirectoryName(parent)!, "eval");
        throw new ArgumentException($"'{folder}' is not inside a run's models/ folder: give --out DIR");
    }

    // Same seed, same chunking, labels by index: every model (and the teacher) starts from the same noise and labels.
    // Noise drawn inside the steps (few_step, ddpm) comes from a second generator, so that it cannot shift the starting
    // noise of the next chunk away from the teacher's: teacher agreement pairs every sample, not only the first chunk.
    private static Tensor Generate(IEvalModel model, string sampler, int steps, ModelEvalOptions o, Device device)
    {
        using var gen = new Generator(o.Seed, device);
        using var stepNoise = new Generator(o.Seed + 1, device);
        using var scope = Torch.NewDisposeScope();
        var parts = new List<Tensor>();
        for (var done = 0; done < o.NumSamples; done += Chunk)
        {
            var n = Math.Min(Chunk, o.NumSamples - done);
            var labels = Labels(model, done, n, device);
            parts.Add(model.Sample(sampler, steps, n, labels, gen, stepNoise).Cpu());
        }
        return scope.MoveOut(Torch.Cat(parts));
    }

    private static Tensor? Labels(IEvalModel model, int start, int n, Device device) => model.NumClasses == 0 ? null
        : Torch.FromSpan<long>(Enumerable.Range(start, n).Select(i => (long)(i % model.NumClasses)).ToArray(), [n], device);

    private static double MillisecondsPerSample(IEvalModel model, string sampler, int steps, int batch, int repeats, Device device)
    {
        using var gen = new Generator(0, device);
        double Once()
        {
            using var scope = Torch.NewDisposeScope();
            var labels = Labels(model, 0, batch, device);
            var clock = Stopwatch.StartNew();
            using var x = model.Sample(sampler, steps, batch, labels, gen);
            using var host = x.Cpu(); // waits for a GPU to finish
            return clock.Elapsed.TotalMilliseconds;
        }
        Once(); // warm-up: allocator, kernels
        var times = Enumerable.Range(0, Math.Max(1, repeats)).Select(_ => Once()).Order().ToList();
        return times[times.Count / 2] / batch; // median of the repeats
    }

    private static (Tensor Reference, string Name) LoadReference(IEvalModel model, ModelEvalOptions o)
    {
        IDataset data;
        if (model.SampleShape is [1, 28, 28])
        {
            data = new FashionMnistDataset(FashionMnistDataset.DefaultDirectory, train: false);
        }
        else if (model.SampleShape.Length == 1)
        {
            var recipePath = o.DataRecipe ?? RunConfigNextTo(model.Folder)
                ?? throw new ArgumentException($"{model.Folder} makes [{model.SampleShape[0]}]-d points and is not inside a run folder: give --data-recipe with a `data:` section");
            var recipe = RecipeLoader.Load(recipePath);
            data = DatasetRegistry.Default.Create(recipe.Bind<DataConfig>("data"));
        }
        else
        {
            throw new ArgumentException($"{model.Folder} makes samples of shape [{string.Join(", ", model.SampleShape)}]; eval knows Fashion-MNIST [1, 28, 28] images and 2-D points");
        }
        if (data.Count < o.NumSamples) throw new ArgumentException($"--num-samples {o.NumSamples} is more than the {data.Count} samples of {data.Name}");
        // The same seeded subset rule as the training's Evaluator, so eval and end-of-phase numbers are comparable.
        // (Not simply the first N: on the quickstart's toy data the first 2,000 points put the 64-step teacher at
        // swd 0.16 against 0.07-0.10 for other subsets.)
        var rng = new Random((int)(o.Seed % int.MaxValue));
        var idx = Enumerable.Range(0, (int)data.Count).Select(i => (long)i).OrderBy(_ => rng.Next()).Take(o.NumSamples).ToArray();
        using var scope = Torch.NewDisposeScope();
        var batch = data.GetBatch(idx, Device.CPU);
        return (scope.MoveOut(batch.X.Float()), $"{data.Name}, {o.NumSamples} of {data.Count} drawn with seed {o.Seed}");
    }

    private static string? RunConfigNextTo(string folder)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(Path.TrimEndingDirectorySeparator(folder)));
        var config = parent is null ? null : Path.Combine(Path.GetDirectoryName(parent) ?? parent, "config.yaml");
        return config is not null && File.Exists(config) ? config : null;
    }
}
