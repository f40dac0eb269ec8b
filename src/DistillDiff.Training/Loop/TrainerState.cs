namespace DistillDiff.Training.Loop;

using System.Text.Json;
using System.Text.Json.Serialization;
using DistillDiff.Data;
using DistillDiff.Engine.Amp;

/// <summary>
/// Everything besides tensors that a resumed run needs to continue exactly where it stopped: the phase and step,
/// the data order, the random generators, how far metrics.jsonl had got, and which phases are finished.
/// Saved as trainer.json in each checkpoint folder.
/// </summary>
public sealed record TrainerState
{
    public const string FileName = "trainer.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The phase in progress, by its name ("teacher", "distill-4", "adversarial", ...).</summary>
    public required string Phase { get; init; }
    public required long Step { get; init; }
    public required long GlobalStep { get; init; }
    /// <summary>Where the data order (the seeded batch sampler) stands.</summary>
    public SamplerState? DataOrder { get; init; }
    /// <summary>The same under its old name, in checkpoints written before the trainer layout (read, never written).</summary>
    [JsonPropertyName("sampler")]
    public SamplerState? LegacySampler { get; init; }
    public required long MetricsLines { get; init; }
    /// <summary>State of the generator that draws times and noise (base64 of its bytes).</summary>
    public required string NoiseGenerator { get; init; }
    /// <summary>State of libtorch's default CPU generator (dropout).</summary>
    public required string DefaultGenerator { get; init; }
    public List<string> CompletedPhases { get; init; } = [];
    /// <summary>
    /// Per logged loss name, the float32 sum (stored exactly as a double) and count of the values since the last
    /// logged step, so the first line logged after a resume averages the same window as every other.
    /// </summary>
    public Dictionary<string, double> LossSums { get; init; } = [];
    public Dictionary<string, int> LossCounts { get; init; } = [];
    /// <summary>The fp16 loss scaler's scale and counters (null in fp32 and bf16 runs).</summary>
    public GradScalerState? LossScaler { get; init; }

    public void Save(string dir) => File.WriteAllText(Path.Combine(dir, FileName), JsonSerializer.Serialize(this, Json));

    public static TrainerState Load(string dir)
    {
        var path = Path.Combine(dir, FileName);
        try
        {
            var state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path), Json)
                ?? throw new InvalidDataException($"{path} is empty");
            var order = state.DataOrder ?? state.LegacySampler ?? throw new InvalidDataException($"{path}: no data_order");
            return state with { DataOrder = order, LegacySampler = null };
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a valid trainer state ({e.Message})", e);
        }
    }
}
