namespace DistillDiff.Export.Runtime;

using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

/// <summary>
/// An exported network in ONNX Runtime (CPU): sample + timestep (+ class labels) in, model_output out, with plain
/// float arrays, as an app without DistillDiff would call it.
/// </summary>
public sealed class OrtNetwork : IDisposable
{
    private readonly InferenceSession _session;

    /// <param name="optimize">false runs every node as written (QuantizeLinear/DequantizeLinear stay float ops: fake
    /// quantization); true lets ORT fuse Q/DQ pairs around Conv and Gemm into int8 kernels.</param>
    /// <param name="optimizedModelPath">Where ORT writes the graph it actually runs (to check which kernels it chose).</param>
    public OrtNetwork(byte[] model, bool optimize = true, int threads = 0, string? optimizedModelPath = null)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = optimize ? GraphOptimizationLevel.ORT_ENABLE_ALL : GraphOptimizationLevel.ORT_DISABLE_ALL,
            IntraOpNumThreads = threads,
        };
        if (optimizedModelPath != null) options.OptimizedModelFilePath = optimizedModelPath;
        _session = new InferenceSession(model, options);
        InputNames = _session.InputMetadata.Keys.ToArray();
    }

    public IReadOnlyList<string> InputNames { get; }

    /// <summary>
    /// Node counts by op type of the graph ONNX Runtime runs after its optimizations (e.g. QLinearConv, QGemm,
    /// MatMulIntegerToFloat are int8 kernels), read from the optimized model it writes.
    /// </summary>
    public static Dictionary<string, int> OptimizedOps(byte[] model)
    {
        var path = Path.Combine(Path.GetTempPath(), $"distilldiff-ort-{Guid.NewGuid():N}.onnx");
        try
        {
            using (new OrtNetwork(model, optimize: true, threads: 1, optimizedModelPath: path))
            {
            }
            return Onnx.Proto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Node
                .GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Ops of ONNX Runtime's int8 kernels (contrib and standard) counted by <see cref="OptimizedOps"/>.</summary>
    public static readonly string[] Int8Ops = ["QLinearConv", "QGemm", "QLinearMatMul", "MatMulIntegerToFloat", "ConvInteger", "MatMulInteger", "DynamicQuantizeMatMul"];

    public bool TakesClassLabels => InputNames.Contains("class_labels");

    /// <summary>One forward pass; <paramref name="shape"/> is the sample's [B, ...].</summary>
    public float[] Run(float[] sample, long[] shape, float[] timestep, long[]? classLabels = null, IReadOnlyList<string>? extraOutputs = null) =>
        RunAll(sample, shape, timestep, classLabels, extraOutputs)[0];

    /// <summary>model_output first, then the values of <paramref name="extraOutputs"/> (graph outputs added for calibration).</summary>
    public float[][] RunAll(float[] sample, long[] shape, float[] timestep, long[]? classLabels = null, IReadOnlyList<string>? extraOutputs = null)
    {
        var batch = (int)shape[0];
        if (timestep.Length != batch) throw new ArgumentException($"timestep has {timestep.Length} values for a batch of {batch}");
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("sample", new DenseTensor<float>(sample, shape.Select(d => (int)d).ToArray())),
            NamedOnnxValue.CreateFromTensor("timestep", new DenseTensor<float>(timestep, [batch])),
        };
        if (TakesClassLabels)
        {
            if (classLabels is null) throw new ArgumentException("this network is class-conditional: pass class labels");
            inputs.Add(NamedOnnxValue.CreateFromTensor("class_labels", new DenseTensor<long>(classLabels, [batch])));
        }
        else if (classLabels != null)
        {
            throw new ArgumentException("class labels were given to an unconditional network");
        }
        var names = new List<string> { Onnx.OnnxExporter.OutputName };
        if (extraOutputs != null) names.AddRange(extraOutputs);
        using var results = _session.Run(inputs, names);
        return results.Select(r => r.AsEnumerable<float>().ToArray()).ToArray();
    }

    public void Dispose() => _session.Dispose();
}
