namespace DistillDiff.Export.Quantization;

using System.Security.Cryptography;
using System.Text.Json;
using DistillDiff.Export.Onnx;
using DistillDiff.Export.Sampling;
using DistillDiff.Models;
using Google.Protobuf;

/// <summary>
/// What `distilldiff quantize` calibrated, next to the QDQ model it wrote (model.w4a8.quant.json beside
/// model.w4a8.onnx): the setting, the activation parameters per site, the model folder, and the SHA-256 of the ONNX
/// file. The libtorch fake quantization is built from it by writing the QDQ graph again with these parameters and
/// reading the policy's record (<see cref="QdqPolicy.Layers"/>); the rebuilt graph must hash to the ONNX file's
/// SHA-256, so the fake-quantized libtorch model and the ONNX model come from one set of numbers, provably.
/// </summary>
public sealed record QuantFile
{
    public const string FormatName = "distilldiff-quantization/1";
    public const string Extension = ".quant.json";

    public string Format { get; init; } = FormatName;

    /// <summary>The model folder, relative to this file's folder (or absolute).</summary>
    public string ModelFolder { get; init; } = "";

    /// <summary>The QDQ ONNX file, relative to this file's folder.</summary>
    public string Onnx { get; init; } = "";

    public string OnnxSha256 { get; init; } = "";

    public string Quantization { get; init; } = "";

    public int? WeightBits { get; init; }
    public int? ActivationBits { get; init; }
    public string WeightRange { get; init; } = "mse";
    public string ActivationRange { get; init; } = "mse";
    public bool SplitShortcut { get; init; } = true;
    public bool ConvOutputs { get; init; } = true;

    /// <summary>Sampling steps of the calibration trajectories (and of the sampler JSON).</summary>
    public int Steps { get; init; }
    public int Calibration { get; init; }
    public ulong Seed { get; init; }

    /// <summary>Site → parameters, e.g. "down_blocks.0.resnets.0.conv1:in" → scale, zero point, range.</summary>
    public SortedDictionary<string, QuantParams> Activations { get; init; } = new(StringComparer.Ordinal);

    public QuantConfig Config() => new(WeightBits, ActivationBits, ParseRange(WeightRange), ParseRange(ActivationRange), SplitShortcut, ConvOutputs);

    public static QuantFile For(string path, string modelFolder, string onnxPath, byte[] onnx, QuantConfig config, IReadOnlyDictionary<string, QuantParams> activations,
        int steps, int calibration, ulong seed)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return new QuantFile
        {
            ModelFolder = Path.GetRelativePath(dir, Path.GetFullPath(modelFolder)),
            Onnx = Path.GetRelativePath(dir, Path.GetFullPath(onnxPath)),
            OnnxSha256 = Convert.ToHexStringLower(SHA256.HashData(onnx)),
            Quantization = config.Label,
            WeightBits = config.WeightBits,
            ActivationBits = config.ActivationBits,
            WeightRange = config.WeightRange.ToString().ToLowerInvariant(),
            ActivationRange = config.ActivationRange.ToString().ToLowerInvariant(),
            SplitShortcut = config.SplitShortcut,
            ConvOutputs = config.ConvOutputs,
            Steps = steps,
            Calibration = calibration,
            Seed = seed,
            Activations = new SortedDictionary<string, QuantParams>(activations.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal),
        };
    }

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, SamplerSpec.Json));

    /// <summary>Reads and checks a quant.json, naming the file and what is wrong.</summary>
    public static QuantFile Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: quantization file not found", path);
        QuantFile? q;
        try
        {
            q = JsonSerializer.Deserialize<QuantFile>(File.ReadAllText(path), SamplerSpec.Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a quantization file ({e.Message})", e);
        }
        if (q is null) throw new InvalidDataException($"{path}: empty quantization file");
        if (q.Format != FormatName) throw new InvalidDataException($"{path}: format '{q.Format}' is not {FormatName}");
        try
        {
            q.Config().Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        foreach (var (site, p) in q.Activations)
            if (!(p.Scale > 0) || !float.IsFinite(p.Scale) || p.QMin >= p.QMax || p.ZeroPoint < p.QMin || p.ZeroPoint > p.QMax)
                throw new InvalidDataException($"{path}: activation '{site}' has invalid parameters (scale {p.Scale}, zero point {p.ZeroPoint}, levels {p.QMin}..{p.QMax})");
        return q;
    }

    /// <summary>The model folder this file quantizes, resolved against the file's folder.</summary>
    public string ModelFolderOf(string path) => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, ModelFolder));

    /// <summary>
    /// The QDQ policy of this file on <paramref name="model"/> (the weights of its folder): writes the graph again and
    /// checks it is the ONNX file quantize wrote, byte for byte (by SHA-256), so weights or parameters that changed
    /// since are refused rather than evaluated as if they were that model.
    /// </summary>
    public QdqPolicy Rebuild(DenoiserBackbone model, string path)
    {
        var policy = new QdqPolicy(Config(), Activations);
        byte[] bytes;
        try
        {
            bytes = OnnxExporter.Export(model, policy, new Dictionary<string, string> { ["distilldiff.quantization"] = Config().Label }).ToByteArray();
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"{path}: does not fit the model in {ModelFolderOf(path)} ({e.Message})", e);
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (hash != OnnxSha256)
            throw new InvalidDataException($"{path}: the model in {ModelFolderOf(path)} with these parameters is not the QDQ model quantize wrote " +
                $"(SHA-256 {hash[..12]}... instead of {OnnxSha256[..Math.Min(12, OnnxSha256.Length)]}...): its weights changed since, or the file names another folder; quantize it again");
        return policy;
    }

    private static RangeMethod ParseRange(string s) => s switch
    {
        "mse" => RangeMethod.Mse,
        "minmax" => RangeMethod.MinMax,
        "percentile" => RangeMethod.Percentile,
        _ => throw new InvalidDataException($"range '{s}' is not mse, minmax or percentile"),
    };
}
