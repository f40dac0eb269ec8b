namespace DistillDiff.Diffusion.Samplers;

using System.Text;
using System.Text.Json;

/// <summary>
/// diffusers' scheduler_config.json: one flat object, keys sorted, _class_name and _diffusers_version first.
/// Reading starts from the class's diffusers defaults (<see cref="SchedulerConfig.ForClass"/>), tolerates unknown
/// keys (returned in <see cref="SchedulerConfigDocument.IgnoredKeys"/>) and refuses a known key of the wrong type
/// with an <see cref="InvalidDataException"/> naming the key and the file.
/// </summary>
public static class SchedulerConfigJson
{
    /// <summary>The diffusers release whose keys and meanings this file follows.</summary>
    public const string DiffusersVersion = "0.31.0";

    private enum Kind { Int, Number, Bool, String, NumberArrayOrNull }

    private sealed record Key(string Name, Kind Kind, Func<SchedulerConfig, object?> Get, Func<SchedulerConfig, object?, SchedulerConfig> Set);

    private static readonly Key[] Keys =
    [
        new("beta_end", Kind.Number, c => c.BetaEnd, (c, v) => c with { BetaEnd = (double)v! }),
        new("beta_schedule", Kind.String, c => c.BetaSchedule, (c, v) => c with { BetaSchedule = (string)v! }),
        new("beta_start", Kind.Number, c => c.BetaStart, (c, v) => c with { BetaStart = (double)v! }),
        new("clip_sample", Kind.Bool, c => c.ClipSample, (c, v) => c with { ClipSample = (bool)v! }),
        new("clip_sample_range", Kind.Number, c => c.ClipSampleRange, (c, v) => c with { ClipSampleRange = (double)v! }),
        new("dynamic_thresholding_ratio", Kind.Number, c => c.DynamicThresholdingRatio, (c, v) => c with { DynamicThresholdingRatio = (double)v! }),
        new("num_train_timesteps", Kind.Int, c => c.NumTrainTimesteps, (c, v) => c with { NumTrainTimesteps = (int)v! }),
        new("prediction_type", Kind.String, c => c.PredictionType, (c, v) => c with { PredictionType = (string)v! }),
        new("rescale_betas_zero_snr", Kind.Bool, c => c.RescaleBetasZeroSnr, (c, v) => c with { RescaleBetasZeroSnr = (bool)v! }),
        new("sample_max_value", Kind.Number, c => c.SampleMaxValue, (c, v) => c with { SampleMaxValue = (double)v! }),
        new("set_alpha_to_one", Kind.Bool, c => c.SetAlphaToOne, (c, v) => c with { SetAlphaToOne = (bool)v! }),
        new("solver_order", Kind.Int, c => c.SolverOrder, (c, v) => c with { SolverOrder = (int)v! }),
        new("steps_offset", Kind.Int, c => c.StepsOffset, (c, v) => c with { StepsOffset = (int)v! }),
        new("thresholding", Kind.Bool, c => c.Thresholding, (c, v) => c with { Thresholding = (bool)v! }),
        new("timestep_spacing", Kind.String, c => c.TimestepSpacing, (c, v) => c with { TimestepSpacing = (string)v! }),
        new("trained_betas", Kind.NumberArrayOrNull, c => c.TrainedBetas, (c, v) => c with { TrainedBetas = (double[]?)v }),
        new("use_karras_sigmas", Kind.Bool, c => c.UseKarrasSigmas, (c, v) => c with { UseKarrasSigmas = (bool)v! }),
        new("variance_type", Kind.String, c => c.VarianceType, (c, v) => c with { VarianceType = (string)v! }),
    ];

    public static SchedulerConfigDocument Read(string path) => Parse(File.ReadAllText(path), path);

    /// <param name="source">Names the origin in error messages (a path).</param>
    public static SchedulerConfigDocument Parse(string json, string source = "scheduler_config.json")
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not valid JSON ({e.Message})", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{source}: expected a JSON object, got {root.ValueKind}");
            var className = OptionalString(root, "_class_name", source);
            var version = OptionalString(root, "_diffusers_version", source);
            var config = SchedulerConfig.ForClass(className);
            var ignored = new List<string>();
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name.StartsWith('_')) continue;
                var key = Array.Find(Keys, k => k.Name == property.Name);
                if (key is null)
                {
                    ignored.Add(property.Name);
                    continue;
                }
                config = key.Set(config, Value(key, property.Value, source));
            }
            return new SchedulerConfigDocument(className, version, config, ignored);
        }
    }

    public static void Write(string path, string className, SchedulerConfig config) =>
        File.WriteAllText(path, Serialize(className, config));

    public static string Serialize(string className, SchedulerConfig config)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("_class_name", className);
            w.WriteString("_diffusers_version", DiffusersVersion);
            foreach (var key in Keys)
            {
                w.WritePropertyName(key.Name);
                switch (key.Get(config))
                {
                    case null: w.WriteNullValue(); break;
                    case int i: w.WriteNumberValue(i); break;
                    case double d: w.WriteNumberValue(d); break;
                    case bool b: w.WriteBooleanValue(b); break;
                    case string s: w.WriteStringValue(s); break;
                    case IReadOnlyList<double> list:
                        w.WriteStartArray();
                        foreach (var d in list) w.WriteNumberValue(d);
                        w.WriteEndArray();
                        break;
                    case var other: throw new InvalidOperationException($"cannot write {key.Name} = {other}");
                }
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static string? OptionalString(JsonElement root, string name, string source)
    {
        if (!root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        return e.ValueKind == JsonValueKind.String ? e.GetString() : throw TypeError(source, name, "a string", e);
    }

    private static object? Value(Key key, JsonElement e, string source)
    {
        switch (key.Kind)
        {
            case Kind.Int:
                return e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var i) ? i : throw TypeError(source, key.Name, "an integer", e);
            case Kind.Number:
                return e.ValueKind == JsonValueKind.Number ? e.GetDouble() : throw TypeError(source, key.Name, "a number", e);
            case Kind.Bool:
                return e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : throw TypeError(source, key.Name, "true or false", e);
            case Kind.String:
                return e.ValueKind == JsonValueKind.String ? e.GetString()! : throw TypeError(source, key.Name, "a string", e);
            case Kind.NumberArrayOrNull:
                if (e.ValueKind == JsonValueKind.Null) return null;
                if (e.ValueKind != JsonValueKind.Array) throw TypeError(source, key.Name, "null or an array of numbers", e);
                var values = new double[e.GetArrayLength()];
                var n = 0;
                foreach (var item in e.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.Number) throw TypeError(source, $"{key.Name}[{n}]", "a number", item);
                    values[n++] = item.GetDouble();
                }
                return values;
            default:
                throw new InvalidOperationException($"unknown kind {key.Kind}");
        }
    }

    private static InvalidDataException TypeError(string source, string key, string expected, JsonElement got)
    {
        var text = got.GetRawText();
        if (text.Length > 40) text = text[..40] + "...";
        return new InvalidDataException($"{source}: key '{key}' must be {expected}, got {got.ValueKind.ToString().ToLowerInvariant()} {text}");
    }
}
