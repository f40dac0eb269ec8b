namespace DistillDiff.Export;

using DistillDiff.Export.Onnx;
using DistillDiff.Export.Sampling;

/// <summary>`distilldiff export`: a model folder to model.onnx + sampler.json.</summary>
public static class ExportJob
{
    public const string ModelFile = "model.onnx";
    public const string SamplerFile = "sampler.json";

    /// <param name="steps">Sampling steps for the JSON; null = the step count the student was distilled for.</param>
    /// <param name="outDir">null = &lt;folder&gt;/onnx.</param>
    public static string Run(string folder, string format, int? steps, string? outDir)
    {
        if (format != "onnx") throw new ArgumentException($"--format '{format}' is not supported (expected onnx)");
        using var student = StudentFolder.Load(folder);
        var n = steps ?? student.DistilledSteps
            ?? throw new ArgumentException($"{folder}: pass --steps (the folder's distilldiff.json does not say how many steps it was distilled for)");
        var spec = student.Spec(n, ModelFile);
        var dir = outDir ?? Path.Combine(folder, "onnx");
        Directory.CreateDirectory(dir);
        var proto = OnnxExporter.Export(student.Model, metadata: new Dictionary<string, string>
        {
            ["distilldiff.prediction"] = spec.Prediction,
            ["distilldiff.sampler_json"] = SamplerFile,
        });
        OnnxExporter.Save(proto, Path.Combine(dir, ModelFile));
        spec.Save(Path.Combine(dir, SamplerFile));
        return $"{folder} -> {Path.Combine(dir, ModelFile)} (opset {OnnxGraph.Opset}, {proto.Graph.Node.Count} nodes) + {SamplerFile} ({n} steps, {spec.Prediction})";
    }
}
