namespace DistillDiff.Export.Sampling;

using System.Text.Json;
using System.Text.Json.Serialization;

/// <summary>
/// sampler.json next to model.onnx: everything an app needs to draw samples with the exported network and no
/// DistillDiff. Recipe (the N-step continuous DDIM a progressive-distillation student was trained for, eta = 0):
/// <code>
/// z = N(0, I) of sample_shape (per batch element; class_labels int64 if class_conditional)
/// for each step:  out = model(sample = z, timestep = [step.timestep] * B[, class_labels])
///                 x0  = x0_from_output(prediction, out, z, step.alpha, step.sigma)
///                 if last step: return x0
///                 eps = (z - step.alpha * x0) / step.sigma
///                 z   = step.alpha_next * x0 + step.sigma_next * eps
/// x0_from_output:  epsilon: (z - sigma * out) / alpha      sample: out      v: alpha * z - sigma * out
///                  both: out = [x_head, eps_head] on channels; sigma^2 x_head + alpha (z - sigma eps_head)
/// </code>
/// Images come out in [-1, 1] (pixel = (x + 1) / 2).
/// </summary>
public sealed record SamplerSpec
{
    public const string FormatName = "distilldiff-sampler/1";

    public string Format { get; init; } = FormatName;

    /// <summary>The ONNX file, relative to the JSON.</summary>
    public string Model { get; init; } = "model.onnx";

    /// <summary>"pd": continuous DDIM on t_i = i / N, i = N..1.</summary>
    public string Sampler { get; init; } = "pd";

    public int NumSteps { get; init; }

    /// <summary>epsilon, sample, v or both (DistillDiff's names).</summary>
    public string Prediction { get; init; } = "epsilon";

    public int NumTrainTimesteps { get; init; } = 1000;

    /// <summary>One sample's shape without the batch: [C, H, W] or [D].</summary>
    public long[] SampleShape { get; init; } = [];

    public bool ClassConditional { get; init; }

    public int? NumClasses { get; init; }

    /// <summary>The noise schedule the steps were computed from (for reference; the steps carry the numbers).</summary>
    public string Schedule { get; init; } = "";

    public IReadOnlyList<SamplerStep> Steps { get; init; } = [];

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    /// <summary>Reads and checks a sampler.json, naming the file and the key that is wrong.</summary>
    public static SamplerSpec Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: sampler JSON not found", path);
        SamplerSpec? spec;
        try
        {
            spec = JsonSerializer.Deserialize<SamplerSpec>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a sampler JSON ({e.Message})", e);
        }
        if (spec is null) throw new InvalidDataException($"{path}: empty sampler JSON");
        if (spec.Format != FormatName) throw new InvalidDataException($"{path}: format '{spec.Format}' is not {FormatName}");
        if (spec.Prediction is not ("epsilon" or "sample" or "v" or "both"))
            throw new InvalidDataException($"{path}: prediction '{spec.Prediction}' must be epsilon, sample, v or both");
        if (spec.Steps.Count == 0 || spec.Steps.Count != spec.NumSteps)
            throw new InvalidDataException($"{path}: num_steps is {spec.NumSteps} but steps has {spec.Steps.Count} entries");
        for (var i = 0; i < spec.Steps.Count - 1; i++)
            if (spec.Steps[i].AlphaNext is null || spec.Steps[i].SigmaNext is null)
                throw new InvalidDataException($"{path}: steps[{i}] needs alpha_next and sigma_next (only the last step has none)");
        if (spec.SampleShape.Length is not (1 or 3)) throw new InvalidDataException($"{path}: sample_shape must be [C, H, W] or [D]");
        return spec;
    }
}
