namespace DistillDiff.Export.Quantization;

using DistillDiff.Export.Onnx;
using DistillDiff.Export.Sampling;
using DistillDiff.Models;
using Google.Protobuf;

/// <summary>`distilldiff quantize`: calibrate on the student's trajectory, write a QDQ ONNX model and its sampler.json.</summary>
public static class QuantizeJob
{
    /// <summary>The QDQ model of <paramref name="model"/> under <paramref name="config"/>, calibrated on its own N-step trajectory.</summary>
    public static (byte[] Model, QdqPolicy Policy) Build(DenoiserBackbone model, SamplerSpec spec, QuantConfig config, int calibration, ulong seed)
    {
        config.Validate();
        var ranges = new Dictionary<string, QuantParams>(StringComparer.Ordinal);
        if (config.ActivationBits is not null)
            foreach (var (site, stats) in Calibrator.Run(model, spec, calibration, seed))
                ranges[site] = stats.Params(config.ActivationRange);
        var policy = new QdqPolicy(config, ranges);
        var proto = OnnxExporter.Export(model, policy, new Dictionary<string, string> { ["distilldiff.quantization"] = config.Label });
        return (proto.ToByteArray(), policy);
    }

    public static string Run(string folder, QuantConfig config, int? steps, string? outDir, int calibration, ulong seed)
    {
        using var student = StudentFolder.Load(folder);
        var n = steps ?? student.DistilledSteps
            ?? throw new ArgumentException($"{folder}: pass --steps (the folder's distilldiff.json does not say how many steps it was distilled for)");
        var name = $"model.w{config.WeightBits?.ToString() ?? "32"}a{config.ActivationBits?.ToString() ?? "32"}.onnx";
        var spec = student.Spec(n, name);
        var (bytes, policy) = Build(student.Model, spec, config, calibration, seed);
        var dir = outDir ?? Path.Combine(folder, "onnx");
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, name), bytes);
        var jsonName = Path.GetFileNameWithoutExtension(name) + ".sampler.json";
        spec.Save(Path.Combine(dir, jsonName));
        return $"{folder} -> {Path.Combine(dir, name)} ({config.Label}; {policy.UsedActivations.Count} activation sites calibrated on {calibration} trajectories x {n} steps) + {jsonName}";
    }
}
