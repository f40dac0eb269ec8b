namespace DistillDiff.Diffusion.Samplers;

using System.Globalization;
using System.Text;
using System.Text.Json;

/// <summary>
/// diffusers' scheduler_config.json: one flat object, keys sorted, _class_name and _diffusers_version first, written
/// by Python's json (so numbers may be the bare literals -Infinity, Infinity or NaN, e.g. DPM-Solver's
/// "lambda_min_clipped": -Infinity, and unset options are null). Reading is diffusers' from_config: the class's
/// defaults (<see cref="DiffusersSchedulerClasses.Defaults"/>), then the file's values of the keys the class takes;
/// keys it does not take are ignored and listed (<see cref="SchedulerConfigDocument.IgnoredKeys"/>). A known key of the
/// wrong type is refused with an <see cref="InvalidDataException"/> naming the key and the file. Writing writes the
/// class's own keys, as save_config does.
/// </summary>
public static class SchedulerConfigJson
{
    /// <summary>The diffusers release whose keys and meanings this file follows.</summary>
    public const string DiffusersVersion = "0.31.0";

    private enum Kind { Int, Number, NumberOrNull, Bool, String, StringOrNull, NumberArrayOrNull }

    private sealed record Key(string Name, Kind Kind, Func<SchedulerConfig, object?> Get, Func<SchedulerConfig, object?, SchedulerConfig> Set);

    // Sentinels for Python's bare non-finite literals, which System.Text.Json does not read.
    private const string NonFinitePrefix = "\u0001nonfinite:";

    private static readonly Key[] Keys =
    [
        new("algorithm_type", Kind.String, c => c.AlgorithmType, (c, v) => c with { AlgorithmType = (string)v! }),
        new("beta_end", Kind.Number, c => c.BetaEnd, (c, v) => c with { BetaEnd = (double)v! }),
        new("beta_schedule", Kind.String, c => c.BetaSchedule, (c, v) => c with { BetaSchedule = (string)v! }),
        new("beta_start", Kind.Number, c => c.BetaStart, (c, v) => c with { BetaStart = (double)v! }),
        new("clip_sample", Kind.Bool, c => c.ClipSample, (c, v) => c with { ClipSample = (bool)v! }),
        new("clip_sample_range", Kind.Number, c => c.ClipSampleRange, (c, v) => c with { ClipSampleRange = (double)v! }),
        new("dynamic_thresholding_ratio", Kind.Number, c => c.DynamicThresholdingRatio, (c, v) => c with { DynamicThresholdingRatio = (double)v! }),
        new("euler_at_final", Kind.Bool, c => c.EulerAtFinal, (c, v) => c with { EulerAtFinal = (bool)v! }),
        new("final_sigmas_type", Kind.String, c => c.FinalSigmasType, (c, v) => c with { FinalSigmasType = (string)v! }),
        new("flow_shift", Kind.Number, c => c.FlowShift, (c, v) => c with { FlowShift = (double)v! }),
        new("interpolation_type", Kind.String, c => c.InterpolationType, (c, v) => c with { InterpolationType = (string)v! }),
        new("lambda_min_clipped", Kind.Number, c => c.LambdaMinClipped, (c, v) => c with { LambdaMinClipped = (double)v! }),
        new("lower_order_final", Kind.Bool, c => c.LowerOrderFinal, (c, v) => c with { LowerOrderFinal = (bool)v! }),
        new("num_train_timesteps", Kind.Int, c => c.NumTrainTimesteps, (c, v) => c with { NumTrainTimesteps = (int)v! }),
        new("prediction_type", Kind.String, c => c.PredictionType, (c, v) => c with { PredictionType = (string)v! }),
        new("rescale_betas_zero_snr", Kind.Bool, c => c.RescaleBetasZeroSnr, (c, v) => c with { RescaleBetasZeroSnr = (bool)v! }),
        new("sample_max_value", Kind.Number, c => c.SampleMaxValue, (c, v) => c with { SampleMaxValue = (double)v! }),
        new("set_alpha_to_one", Kind.Bool, c => c.SetAlphaToOne, (c, v) => c with { SetAlphaToOne = (bool)v! }),
        new("sigma_max", Kind.NumberOrNull, c => c.SigmaMax, (c, v) => c with { SigmaMax = (double?)v }),
        new("sigma_min", Kind.NumberOrNull, c => c.SigmaMin, (c, v) => c with { SigmaMin = (double?)v }),
        new("solver_order", Kind.Int, c => c.SolverOrder, (c, v) => c with { SolverOrder = (int)v! }),
        new("solver_type", Kind.String, c => c.SolverType, (c, v) => c with { SolverType = (string)v! }),
        new("steps_offset", Kind.Int, c => c.StepsOffset, (c, v) => c with { StepsOffset = (int)v! }),
        new("thresholding", Kind.Bool, c => c.Thresholding, (c, v) => c with { Thresholding = (bool)v! }),
        new("timestep_spacing", Kind.String, c => c.TimestepSpacing, (c, v) => c with { TimestepSpacing = (string)v! }),
        new("timestep_type", Kind.String, c => c.TimestepType, (c, v) => c with { TimestepType = (string)v! }),
        new("trained_betas", Kind.NumberArrayOrNull, c => c.TrainedBetas, (c, v) => c with { TrainedBetas = (double[]?)v }),
        new("use_beta_sigmas", Kind.Bool, c => c.UseBetaSigmas, (c, v) => c with { UseBetaSigmas = (bool)v! }),
        new("use_exponential_sigmas", Kind.Bool, c => c.UseExponentialSigmas, (c, v) => c with { UseExponentialSigmas = (bool)v! }),
        new("use_flow_sigmas", Kind.Bool, c => c.UseFlowSigmas, (c, v) => c with { UseFlowSigmas = (bool)v! }),
        new("use_karras_sigmas", Kind.Bool, c => c.UseKarrasSigmas, (c, v) => c with { UseKarrasSigmas = (bool)v! }),
        new("use_lu_lambdas", Kind.Bool, c => c.UseLuLambdas, (c, v) => c with { UseLuLambdas = (bool)v! }),
        new("variance_type", Kind.StringOrNull, c => c.VarianceType, (c, v) => c with { VarianceType = (string?)v }),
    ];

    public static SchedulerConfigDocument Read(string path) => Parse(File.ReadAllText(path), path);

    /// <param name="source">Names the origin in error messages (a path).</param>
    public static SchedulerConfigDocument Parse(string json, string source = "scheduler_config.json")
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(QuoteNonFiniteLiterals(json));
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
            var values = new Dictionary<string, object?>(StringComparer.Ordinal);
            var unknown = new List<string>();
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name.StartsWith('_')) continue;
                var key = Array.Find(Keys, k => k.Name == property.Name);
                if (key is null) unknown.Add(property.Name);
                else values[key.Name] = Value(key, property.Value, source);
            }
            SchedulerConfig config;
            IReadOnlyList<string> notTaken;
            try
            {
                config = ConfigFor(className, values, out notTaken);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{source}: {e.Message}", e);
            }
            return new SchedulerConfigDocument(className, version, config, [.. unknown, .. notTaken], values);
        }
    }

    /// <summary>diffusers' from_config: the class's defaults, then the values of the keys it takes. Dropping
    /// rescale_betas_zero_snr = true would change the noise schedule itself (the model's, not the sampler's), so a
    /// class without it refuses the file instead.</summary>
    internal static SchedulerConfig ConfigFor(string? className, IReadOnlyDictionary<string, object?> values, out IReadOnlyList<string> notTaken)
    {
        var config = DiffusersSchedulerClasses.Defaults(className);
        var ignored = new List<string>();
        foreach (var (name, value) in values)
        {
            if (!DiffusersSchedulerClasses.Accepts(className, name))
            {
                if (name == "rescale_betas_zero_snr" && value is true)
                    throw new ArgumentException(
                        $"rescale_betas_zero_snr = true, but {className} has no such setting in diffusers (it would sample the unrescaled schedule)");
                ignored.Add(name);
                continue;
            }
            config = Array.Find(Keys, k => k.Name == name)!.Set(config, value);
        }
        notTaken = ignored;
        return config;
    }

    public static void Write(string path, string className, SchedulerConfig config) =>
        File.WriteAllText(path, Serialize(className, config));

    /// <summary>The class's own keys, sorted, as diffusers' save_config writes them (-Infinity bare, as Python does).</summary>
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
                if (!DiffusersSchedulerClasses.Accepts(className, key.Name)) continue;
                w.WritePropertyName(key.Name);
                switch (key.Get(config))
                {
                    case null: w.WriteNullValue(); break;
                    case int i: w.WriteNumberValue(i); break;
                    case double d: WriteNumber(w, d); break;
                    case bool b: w.WriteBooleanValue(b); break;
                    case string s: w.WriteStringValue(s); break;
                    case IReadOnlyList<double> list:
                        w.WriteStartArray();
                        foreach (var d in list) WriteNumber(w, d);
                        w.WriteEndArray();
                        break;
                    case var other: throw new InvalidOperationException($"cannot write {key.Name} = {other}");
                }
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static void WriteNumber(Utf8JsonWriter w, double d)
    {
        if (double.IsFinite(d)) w.WriteNumberValue(d);
        else w.WriteRawValue(double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity", skipInputValidation: true);
    }

    /// <summary>Python's json writes float('-inf') as the bare token -Infinity (also Infinity, NaN); outside strings
    /// they become quoted sentinels that the number readers below turn back into doubles.</summary>
    private static string QuoteNonFiniteLiterals(string json)
    {
        var sb = new StringBuilder(json.Length);
        var inString = false;
        for (var i = 0; i < json.Length; i++)
        {
            var c = json[i];
            if (inString)
            {
                sb.Append(c);
                if (c == '\\' && i + 1 < json.Length) sb.Append(json[++i]);
                else if (c == '"') inString = false;
                continue;
            }
            if (c == '"') { inString = true; sb.Append(c); continue; }
            var token = new[] { "-Infinity", "Infinity", "NaN" }.FirstOrDefault(t => string.CompareOrdinal(json, i, t, 0, t.Length) == 0);
            if (token is null) { sb.Append(c); continue; }
            sb.Append("\"\\u0001nonfinite:").Append(token).Append('"'); // JSON-escaped NonFinitePrefix
            i += token.Length - 1;
        }
        return sb.ToString();
    }

    private static string? OptionalString(JsonElement root, string name, string source)
    {
        if (!root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        return e.ValueKind == JsonValueKind.String ? e.GetString() : throw TypeError(source, name, "a string", e);
    }

    private static bool TryNumber(JsonElement e, out double value)
    {
        if (e.ValueKind == JsonValueKind.Number) { value = e.GetDouble(); return true; }
        if (e.ValueKind == JsonValueKind.String && e.GetString() is { } s && s.StartsWith(NonFinitePrefix, StringComparison.Ordinal))
        {
            value = double.Parse(s[NonFinitePrefix.Length..], CultureInfo.InvariantCulture);
            return true;
        }
        value = 0;
        return false;
    }

    private static object? Value(Key key, JsonElement e, string source)
    {
        switch (key.Kind)
        {
            case Kind.Int:
                return e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var i) ? i : throw TypeError(source, key.Name, "an integer", e);
            case Kind.Number:
                return TryNumber(e, out var d) ? d : throw TypeError(source, key.Name, "a number", e);
            case Kind.NumberOrNull:
                if (e.ValueKind == JsonValueKind.Null) return null;
                return TryNumber(e, out var dn) ? dn : throw TypeError(source, key.Name, "null or a number", e);
            case Kind.Bool:
                return e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : throw TypeError(source, key.Name, "true or false", e);
            case Kind.String:
                return e.ValueKind == JsonValueKind.String && !IsSentinel(e) ? e.GetString()! : throw TypeError(source, key.Name, "a string", e);
            case Kind.StringOrNull:
                if (e.ValueKind == JsonValueKind.Null) return null;
                return e.ValueKind == JsonValueKind.String && !IsSentinel(e) ? e.GetString()! : throw TypeError(source, key.Name, "null or a string", e);
            case Kind.NumberArrayOrNull:
                if (e.ValueKind == JsonValueKind.Null) return null;
                if (e.ValueKind != JsonValueKind.Array) throw TypeError(source, key.Name, "null or an array of numbers", e);
                var values = new double[e.GetArrayLength()];
                var n = 0;
                foreach (var item in e.EnumerateArray())
                {
                    if (!TryNumber(item, out var v)) throw TypeError(source, $"{key.Name}[{n}]", "a number", item);
                    values[n++] = v;
                }
                return values;
            default:
                throw new InvalidOperationException($"unknown kind {key.Kind}");
        }
    }

    private static bool IsSentinel(JsonElement e) => e.GetString()!.StartsWith(NonFinitePrefix, StringComparison.Ordinal);

    private static InvalidDataException TypeError(string source, string key, string expected, JsonElement got)
    {
        var text = got.ValueKind == JsonValueKind.String && IsSentinel(got) ? got.GetString()![NonFinitePrefix.Length..] : got.GetRawText();
        if (text.Length > 40) text = text[..40] + "...";
        var kind = got.ValueKind == JsonValueKind.String && IsSentinel(got) ? "number" : got.ValueKind.ToString().ToLowerInvariant();
        return new InvalidDataException($"{source}: key '{key}' must be {expected}, got {kind} {text}");
    }
}
