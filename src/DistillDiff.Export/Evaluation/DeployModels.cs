namespace DistillDiff.Export.Evaluation;

using DistillDiff.Engine;
using DistillDiff.Export.Onnx;
using DistillDiff.Export.Quantization;
using DistillDiff.Export.Runtime;
using DistillDiff.Export.Sampling;
using DistillDiff.Training.Evaluation;

/// <summary>
/// `distilldiff eval`'s loader for deployment artefacts, so they are scored by the same evaluation as the float
/// model (same noise, labels, reference set, metrics, timing): a model folder loads as usual; quantize's
/// <c>*.quant.json</c> loads its folder fake-quantized in libtorch; an exported <c>*.onnx</c> (with its sampler JSON)
/// runs in ONNX Runtime, with int8 kernels where it is a QDQ model.
/// </summary>
public static class DeployModels
{
    public static IEvalModel? Load(string path, Device device)
    {
        if (path.EndsWith(QuantFile.Extension, StringComparison.Ordinal)) return FakeQuantized.Load(path, device);
        if (path.EndsWith(".onnx", StringComparison.Ordinal)) return OrtModel.Load(path, device);
        return null;
    }

    /// <summary>The row name of a deployment file: the folder's name and the file's ("student-1steps.w4a8.fq").</summary>
    private static string RowName(string folder, string file, string suffix)
    {
        var stem = Path.GetFileName(file);
        foreach (var ext in new[] { QuantFile.Extension, ".onnx" })
            if (stem.EndsWith(ext, StringComparison.Ordinal)) stem = stem[..^ext.Length];
        if (stem.StartsWith("model.", StringComparison.Ordinal)) stem = stem["model.".Length..];
        else if (stem == "model") stem = "fp32";
        return $"{Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)))}.{stem}.{suffix}";
    }

    /// <summary>A model folder with the fake quantization of a quant.json applied (weights, biases, activation hooks).</summary>
    private sealed class FakeQuantized(LoadedModel inner, IDisposable hooks, string name) : IEvalModel
    {
        public static FakeQuantized Load(string path, Device device)
        {
            var q = QuantFile.Load(path);
            var folder = q.ModelFolderOf(path);
            var model = LoadedModel.Load(folder, device);
            try
            {
                var policy = q.Rebuild(model.Model, path);
                // Plain tensor ops at the hooks: the fake-quantized model runs on whatever device the folder loaded on.
                var hooks = FakeQuantModel.Apply(model.Model, policy);
                return new FakeQuantized(model, hooks, RowName(folder, path, "fq"));
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }

        public string Name => name;
        public string Folder => inner.Folder;
        public long[] SampleShape => inner.SampleShape;
        public int NumClasses => inner.NumClasses;
        public string OwnSampler => inner.OwnSampler;

        public Tensor Sample(string sampler, int steps, long count, Tensor? labels, Generator gen, Generator? stepNoise = null) =>
            inner.Sample(sampler, steps, count, labels, gen, stepNoise);

        public void Dispose()
        {
            hooks.Dispose();
            inner.Dispose();
        }
    }

    /// <summary>
    /// An exported network in ONNX Runtime, driven by its sampler JSON exactly as an app would (<see cref="JsonSampler"/>),
    /// from the first N(0, I) draw of the generator, like the pd sampler in libtorch. ORT uses libtorch's thread count.
    /// </summary>
    private sealed class OrtModel(OrtNetwork network, SamplerSpec spec, string folder, string name) : IEvalModel
    {
        private const int SubBatch = 100; // ORT runs at most this many samples at once (UNet activations stay small)

        public static OrtModel Load(string path, Device device)
        {
            if (device.Type != DeviceType.CPU) throw new ArgumentException($"{path}: ONNX models are evaluated with ONNX Runtime on the CPU (pass --device cpu)");
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: ONNX model not found", path);
            var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
            var stem = Path.GetFileNameWithoutExtension(path);
            var jsonPath = Path.Combine(dir, stem == "model" ? ExportJob.SamplerFile : stem + ".sampler.json");
            var spec = SamplerSpec.Load(jsonPath);
            // The folder the export came from: quantize's and export's default is <folder>/onnx; a quant.json names it.
            var quant = Path.Combine(dir, stem + QuantFile.Extension);
            var folder = File.Exists(quant) ? QuantFile.Load(quant).ModelFolderOf(quant)
                : Path.GetFileName(dir) == "onnx" ? Path.GetDirectoryName(dir)! : dir;
            var network = new OrtNetwork(File.ReadAllBytes(path), optimize: true, threads: Torch.NumThreads);
            return new OrtModel(network, spec, folder, RowName(folder, path, "ort"));
        }

        public string Name => name;
        public string Folder => folder;
        public long[] SampleShape => spec.SampleShape;
        public int NumClasses => spec.NumClasses ?? 0;
        public string OwnSampler => spec.Sampler;

        // The sampler JSON's samplers (pd) draw no noise in their steps, so stepNoise has nothing to do here.
        public Tensor Sample(string sampler, int steps, long count, Tensor? labels, Generator gen, Generator? stepNoise = null)
        {
            if (sampler != spec.Sampler) throw new ArgumentException($"{name}: an exported model samples with its sampler JSON's '{spec.Sampler}' sampler, not '{sampler}'");
            if (steps != spec.NumSteps) throw new ArgumentException($"{name}: its sampler JSON is for {spec.NumSteps} steps, not {steps} (export or quantize again with --steps {steps})");
            using var scope = Torch.NewDisposeScope();
            var z = Torch.Randn([count, .. spec.SampleShape], gen, DType.Float32, gen.Device).Cpu().Contiguous().ToArray<float>();
            var labelArray = labels?.Cpu().To(DType.Int64).Contiguous().ToArray<long>();
            var per = (int)spec.SampleShape.Aggregate(1L, (a, b) => a * b);
            var result = new float[z.Length];
            for (var b = 0; b < count; b += SubBatch)
            {
                var m = (int)Math.Min(SubBatch, count - b);
                var x = JsonSampler.Sample(network, spec, z.AsSpan(b * per, m * per).ToArray(), m, labelArray?.Skip(b).Take(m).ToArray());
                Array.Copy(x, 0, result, b * per, x.Length);
            }
            return scope.MoveOut(Torch.FromArray(result, [count, .. spec.SampleShape]));
        }

        public void Dispose() => network.Dispose();
    }
}
