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
        var stem = FileStem(config);
        var name = stem + ".onnx";
        var spec = student.Spec(n, name);
        var (bytes, policy) = Build(student.Model, spec, config, calibration, seed);
        var dir = outDir ?? Path.Combine(folder, "onnx");
        Directory.CreateDirectory(dir);
        var onnxPath = Path.Combine(dir, name);
        File.WriteAllBytes(onnxPath, bytes);
        var jsonName = stem + ".sampler.json";
        spec.Save(Path.Combine(dir, jsonName));
        var quantPath = Path.Combine(dir, stem + QuantFile.Extension);
        QuantFile.For(quantPath, folder, onnxPath, bytes, config, policy.UsedActivations, n, calibration, seed).Save(quantPath);
        return $"{folder} -> {onnxPath} ({config.Label}; {policy.UsedActivations.Count} activation sites calibrated on {calibration} trajectories x {n} steps) + {jsonName} + {Path.GetFileName(quantPath)}";
    }

    /// <summary>
    /// model.w8a8 for the Q-Diffusion setting (MSE ranges, split shortcut), with the differences appended otherwise
    /// (model.w8a8.minmax.nosplit is naive PTQ), so the variants of one student can share a folder.
    /// </summary>
    public static string FileStem(QuantConfig config)
    {
        var stem = $"model.w{config.WeightBits?.ToString() ?? "32"}a{config.ActivationBits?.ToString() ?? "32"}";
        var (w, a) = (config.WeightRange.ToString().ToLowerInvariant(), config.ActivationRange.ToString().ToLowerInvariant());
        if (config.WeightRange != RangeMethod.Mse || config.ActivationRange != RangeMethod.Mse) stem += w == a || config.ActivationBits is null ? $".{w}" : $".{w}-{a}";
        if (!config.SplitShortcut) stem += ".nosplit";
        if (!config.ConvOutputs) stem += ".noconvout";
        return stem;
    }
}
