namespace DistillDiff.Models.Checkpoints;

using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

/// <summary>
/// config.json as diffusers writes it: snake_case keys sorted, "_class_name" naming the model class and
/// "_diffusers_version". Reading ignores keys the config record does not have (diffusers adds some over time, and
/// tools add "_name_or_path") and reports a value of the wrong type with its key and file.
/// </summary>
public static class ModelConfigJson
{
    /// <summary>Written as "_diffusers_version": the diffusers release whose UNet2DModel semantics unet2d follows.</summary>
    public const string DiffusersVersion = "0.30.0";

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        // A null for a non-nullable key (e.g. "block_out_channels": null) is an error, not a silent null.
        RespectNullableAnnotations = true,
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    private static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };

    /// <summary>The config's keys and values as compact JSON in declaration order (its identity for equality).</summary>
    public static string Serialize(object config) => JsonSerializer.Serialize(config, config.GetType(), Options);

    /// <summary>The file text: the config's keys plus _class_name and _diffusers_version, sorted as diffusers sorts them.</summary>
    public static string ToJson(object config, string className)
    {
        var node = JsonSerializer.SerializeToNode(config, config.GetType(), Options)!.AsObject();
        node["_class_name"] = className;
        node["_diffusers_version"] = DiffusersVersion;
        var sorted = new JsonObject();
        foreach (var (key, value) in node.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            sorted[key] = value?.DeepClone();
        return sorted.ToJsonString(Indented) + "\n";
    }

    /// <summary>Writes config.json via a temporary file and a rename, so a crash never leaves half a config.</summary>
    public static void Write(string path, object config, string className)
    {
        var text = ToJson(config, className);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = $"{full}.tmp-{Guid.NewGuid():N}";
        try
        {
            File.WriteAllText(temp, text);
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>The "_class_name" of a config.json.</summary>
    public static string ReadClassName(string path)
    {
        var raw = ParseObject(File.ReadAllText(path), path);
        if (!raw.TryGetPropertyValue("_class_name", out var node) || node is not JsonValue v || !v.TryGetValue<string>(out var name))
            throw new ModelConfigException(path, "_class_name", "missing or not a string: the file does not say which model it configures");
        return name;
    }

    public static T Read<T>(string path) where T : class => (T)Read(path, typeof(T));

    /// <summary>Reads and validates a config record of <paramref name="configType"/>; missing keys keep the record's defaults.</summary>
    public static object Read(string path, Type configType) => Parse(File.ReadAllText(path), configType, path);

    /// <summary>As <see cref="Read(string, Type)"/> from text; <paramref name="source"/> names it in errors.</summary>
    public static object Parse(string json, Type configType, string source = "config.json")
    {
        var raw = ParseObject(json, source);
        object config;
        try
        {
            config = JsonSerializer.Deserialize(json, configType, Options)
                ?? throw new ModelConfigException(source, null, "the file holds null, not a config object");
        }
        catch (JsonException e)
        {
            var key = KeyOf(e.Path);
            var expected = key is null ? null : ExpectedType(configType, key);
            var found = key is not null && raw.TryGetPropertyValue(key, out var node) ? node?.ToJsonString() ?? "null" : null;
            var what = expected is null ? e.Message : $"expected {expected}, found {found ?? "(unreadable value)"}";
            throw new ModelConfigException(source, key, what, e);
        }
        if (config is IModelConfig checkable)
        {
            try
            {
                checkable.Validate();
                checkable.CheckUnmodelledKeys(raw);
            }
            catch (ArgumentException e)
            {
                throw new ModelConfigException(source, null, e.Message, e);
            }
        }
        return config;
    }

    private static JsonObject ParseObject(string json, string source)
    {
        try
        {
            return JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }) as JsonObject
                ?? throw new ModelConfigException(source, null, "expected a JSON object at the top level");
        }
        catch (JsonException e)
        {
            throw new ModelConfigException(source, null, $"not valid JSON: {e.Message}", e);
        }
    }

    // "$.block_out_channels[2]" -> "block_out_channels"
    private static string? KeyOf(string? jsonPath)
    {
        if (jsonPath is null || !jsonPath.StartsWith("$.", StringComparison.Ordinal)) return null;
        var key = jsonPath[2..];
        var end = key.IndexOfAny(['[', '.']);
        return end < 0 ? key : key[..end];
    }

    private static string? ExpectedType(Type configType, string key)
    {
        var property = configType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .FirstOrDefault(p => Options.PropertyNamingPolicy!.ConvertName(p.Name) == key);
        if (property is null) return null;
        var nullable = new NullabilityInfoContext().Create(property).WriteState == NullabilityState.Nullable;
        return Describe(property.PropertyType) + (nullable ? " or null" : "");
    }

    private static string Describe(Type t)
    {
        var inner = Nullable.GetUnderlyingType(t);
        if (inner != null) return Describe(inner);
        var scalar = Scalar(t);
        if (scalar != null) return scalar.Value.One;
        var element = t.IsGenericType && t.GetGenericArguments().Length == 1 ? t.GetGenericArguments()[0] : null;
        if (element != null && typeof(System.Collections.IEnumerable).IsAssignableFrom(t))
            return $"a list of {Scalar(element)?.Many ?? element.Name}";
        return t.Name;
    }

    private static (string One, string Many)? Scalar(Type t) =>
        t == typeof(int) || t == typeof(long) ? ("an integer", "integers")
        : t == typeof(double) || t == typeof(float) ? ("a number", "numbers")
        : t == typeof(bool) ? ("true or false", "booleans")
        : t == typeof(string) ? ("a string", "strings")
        : null;
}
