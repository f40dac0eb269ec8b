using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Runtime.ExceptionServices;

namespace DistillDiff.Recipes;

/// <summary>
/// Builds option records from config nodes, refusing anything it does not understand: unknown keys, values of the
/// wrong type, missing required keys and values that break a <see cref="RecipeCheckAttribute"/>.
/// </summary>
/// <param name="readDirectly">
/// Whether a key was already read on its own (e.g. <c>model.type</c> picking a registry component); such keys may
/// sit in a section whose option record does not declare them.
/// </param>
internal sealed class ConfigBinder(Func<string, bool> readDirectly)
{
    private static readonly Dictionary<Type, (decimal Min, decimal Max)> IntegerRanges = new()
    {
        [typeof(int)] = (int.MinValue, int.MaxValue),
        [typeof(long)] = (long.MinValue, long.MaxValue),
        [typeof(short)] = (short.MinValue, short.MaxValue),
        [typeof(sbyte)] = (sbyte.MinValue, sbyte.MaxValue),
        [typeof(byte)] = (byte.MinValue, byte.MaxValue),
        [typeof(ushort)] = (ushort.MinValue, ushort.MaxValue),
        [typeof(uint)] = (uint.MinValue, uint.MaxValue),
        [typeof(ulong)] = (ulong.MinValue, ulong.MaxValue),
    };

    private static readonly HashSet<Type> ListDefinitions =
    [
        typeof(List<>), typeof(IList<>), typeof(IReadOnlyList<>), typeof(IEnumerable<>), typeof(ICollection<>), typeof(IReadOnlyCollection<>),
    ];

    private static readonly HashSet<Type> DictionaryDefinitions =
    [
        typeof(Dictionary<,>), typeof(IDictionary<,>), typeof(IReadOnlyDictionary<,>),
    ];

    /// <summary>Binds the section at <paramref name="path"/>; a missing section binds as an empty one so defaults apply.</summary>
    public object BindSection(Type type, ConfigNode? node, string path, string recipeSource)
    {
        if (node is null)
        {
            if (!IsObject(type))
                throw new RecipeException($"{recipeSource}: missing required key '{path}'", path, recipeSource);
            node = new ConfigMap(recipeSource);
        }
        return BindValue(new Slot(type, false, null, []), node, path)!;
    }

    private object? BindValue(Slot slot, ConfigNode node, string path)
    {
        var type = Nullable.GetUnderlyingType(slot.Type) ?? slot.Type;
        if (node is ConfigScalar { Value: null })
            return slot.AllowsNull ? null : throw Error(node, path, $"{Expectation(type)}, got null");

        if (IsScalar(type))
        {
            if (node is not ConfigScalar { Value: { } text })
                throw Error(node, path, $"{Expectation(type)}, got {node.Describe()}");
            var value = ParseScalar(type, text, node, path);
            foreach (var check in slot.Checks)
            {
                if (check.Check(value) is { } rule)
                    throw Error(node, path, $"{rule}, got '{text}'");
            }
            return value;
        }
        if (ElementTypeOf(type) is { } elementType)
            return BindList(type, elementType, slot, node, path);
        if (DictionaryValueTypeOf(type) is { } valueType)
            return BindDictionary(valueType, slot, node, path);
        if (!IsObject(type))
            throw new NotSupportedException($"cannot bind key '{path}': recipes have no way to write a {type}");
        if (node is not ConfigMap map)
            throw Error(node, path, $"must be a mapping, got {node.Describe()}");
        return BindObject(type, map, path);
    }

    private object BindList(Type type, Type elementType, Slot slot, ConfigNode node, string path)
    {
        if (node is not ConfigList list)
            throw Error(node, path, $"must be a list, got {node.Describe()}");
        var itemInfo = type.IsArray ? slot.Info?.ElementType : slot.Info?.GenericTypeArguments[0];
        var itemSlot = slot.For(elementType, itemInfo);
        var array = Array.CreateInstance(elementType, list.Items.Count);
        for (var i = 0; i < list.Items.Count; i++)
            array.SetValue(BindValue(itemSlot, list.Items[i], KeyPath.Join(path, i.ToString(CultureInfo.InvariantCulture))), i);
        if (type.IsArray)
            return array;
        var result = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(elementType))!;
        foreach (var item in array)
            result.Add(item);
        return result;
    }

    private object BindDictionary(Type valueType, Slot slot, ConfigNode node, string path)
    {
        if (node is not ConfigMap map)
            throw Error(node, path, $"must be a mapping, got {node.Describe()}");
        var valueSlot = slot.For(valueType, slot.Info?.GenericTypeArguments[1]);
        var result = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(typeof(string), valueType))!;
        foreach (var (key, value) in map.Entries)
            result.Add(key, BindValue(valueSlot, value, KeyPath.Join(path, key)));
        return result;
    }

    private object BindObject(Type type, ConfigMap map, string path)
    {
        var shape = TypeShape.Of(type);
        var given = new Dictionary<BindableMember, (string Key, ConfigNode Node)>();
        foreach (var (key, node) in map.Entries)
        {
            var fullKey = KeyPath.Join(path, key);
            var member = shape.Find(key);
            if (member is null)
            {
                if (readDirectly(fullKey))
                    continue;
                throw Unknown(node, fullKey, shape.Members.Select(m => m.KeyName));
            }
            if (given.TryGetValue(member, out var first))
                throw Error(node, fullKey, $"sets the same option as '{KeyPath.Join(path, first.Key)}'");
            given[member] = (key, node);
        }

        object? Value(BindableMember member)
        {
            if (given.TryGetValue(member, out var entry))
                return BindValue(Slot.Of(member), entry.Node, KeyPath.Join(path, entry.Key));
            if (member.Required)
            {
                var missing = KeyPath.Join(path, member.KeyName);
                throw new RecipeException($"{map.Source}: missing required key '{missing}'", missing, map.Source);
            }
            return member.DefaultValue;
        }

        var parameters = shape.Members.Where(m => m.Parameter is not null).ToList();
        var arguments = parameters.Select(Value).ToArray();
        var instance = shape.Constructor is null ? Activator.CreateInstance(type)! : Invoke(shape.Constructor, arguments, map, path);
        foreach (var member in shape.Members.Where(m => m.Parameter is null))
        {
            if (given.ContainsKey(member) || member.Required)
                member.Property!.SetValue(instance, Value(member));
        }
        return instance;
    }

    // A record that validates its own arguments speaks to the user through ArgumentException; anything else is a bug.
    private static object Invoke(ConstructorInfo constructor, object?[] arguments, ConfigMap map, string path)
    {
        try
        {
            return constructor.Invoke(arguments);
        }
        catch (TargetInvocationException e) when (e.InnerException is ArgumentException invalid)
        {
            var what = path.Length == 0 ? "the recipe" : $"key '{path}'";
            throw new RecipeException($"{map.Source}: {what} is invalid: {invalid.Message}", path, map.Source, invalid);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }

    private static object ParseScalar(Type type, string text, ConfigNode node, string path)
    {
        if (type == typeof(string))
            return text;
        if (type == typeof(bool))
        {
            return text.ToLowerInvariant() switch
            {
                "true" => true,
                "false" => false,
                _ => throw Error(node, path, $"{Expectation(type)}, got '{text}'"),
            };
        }
        if (type.IsEnum)
        {
            var normalized = KeyNames.Normalize(text);
            var name = Enum.GetNames(type).FirstOrDefault(n => KeyNames.Normalize(n) == normalized)
                ?? throw Error(node, path, $"{Expectation(type)}, got '{text}'");
            return Enum.Parse(type, name);
        }
        if (IntegerRanges.TryGetValue(type, out var range))
        {
            // Exponents are allowed (steps: 1e5) but a decimal point is not, so 1.5 or 1.0 never truncates silently.
            if (!decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var number)
                || number != decimal.Truncate(number))
                throw Error(node, path, $"must be an integer, got '{text}'");
            if (number < range.Min || number > range.Max)
                throw Error(node, path, $"must be an integer between {range.Min.ToString(CultureInfo.InvariantCulture)} and {range.Max.ToString(CultureInfo.InvariantCulture)}, got '{text}'");
            return Convert.ChangeType(number, type, CultureInfo.InvariantCulture);
        }
        if (type == typeof(decimal))
        {
            return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                ? number
                : throw Error(node, path, $"must be a number, got '{text}'");
        }
        var real = ParseReal(text) ?? throw Error(node, path, $"must be a number, got '{text}'");
        // No recipe value means anything as NaN or infinity: an infinite lr only diverges, a NaN range check passes.
        if (!double.IsFinite(real))
            throw Error(node, path, $"must be a finite number, got '{text}'");
        if (type == typeof(double))
            return real;
        var single = (float)real;
        return float.IsInfinity(single) && !double.IsInfinity(real)
            ? throw Error(node, path, $"must be a number within float range, got '{text}'")
            : single;
    }

    private static double? ParseReal(string text) => text switch
    {
        ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" => double.PositiveInfinity,
        "-.inf" or "-.Inf" or "-.INF" => double.NegativeInfinity,
        ".nan" or ".NaN" or ".NAN" => double.NaN,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null,
    };

    private static string Expectation(Type type)
    {
        if (type == typeof(string))
            return "must be a string";
        if (type == typeof(bool))
            return "must be true or false";
        if (type.IsEnum)
            return $"must be one of [{string.Join(", ", Enum.GetNames(type).Select(KeyNames.ToSnake))}]";
        if (IntegerRanges.ContainsKey(type))
            return "must be an integer";
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
            return "must be a number";
        return ElementTypeOf(type) is not null ? "must be a list" : "must be a mapping";
    }

    private static bool IsScalar(Type type) =>
        type == typeof(string) || type == typeof(bool) || type.IsEnum || IntegerRanges.ContainsKey(type)
        || type == typeof(double) || type == typeof(float) || type == typeof(decimal);

    private static Type? ElementTypeOf(Type type)
    {
        if (type.IsArray)
            return type.GetArrayRank() == 1 ? type.GetElementType() : null;
        return type.IsGenericType && ListDefinitions.Contains(type.GetGenericTypeDefinition()) ? type.GetGenericArguments()[0] : null;
    }

    private static Type? DictionaryValueTypeOf(Type type)
    {
        if (!type.IsGenericType || !DictionaryDefinitions.Contains(type.GetGenericTypeDefinition()))
            return null;
        var arguments = type.GetGenericArguments();
        return arguments[0] == typeof(string)
            ? arguments[1]
            : throw new NotSupportedException($"{type}: recipe dictionaries must have string keys");
    }

    // Records and classes of the application; framework types (DateTime, Uri, ...) have no recipe spelling.
    private static bool IsObject(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        var framework = type.Namespace is "System" || type.Namespace?.StartsWith("System.", StringComparison.Ordinal) == true;
        return !framework && !IsScalar(type) && ElementTypeOf(type) is null && DictionaryValueTypeOf(type) is null;
    }

    private static RecipeException Error(ConfigNode node, string path, string problem) =>
        new($"{node.Source}: key '{path}' {problem}", path, node.Source);

    private static RecipeException Unknown(ConfigNode node, string path, IEnumerable<string> expected)
    {
        var names = expected.Order(StringComparer.Ordinal).ToList();
        return new RecipeException(UnknownKeyMessage(node.Source, path, names), path, node.Source);
    }

    /// <summary>The message for a key nothing reads; shared with <see cref="Recipe.EnsureAllKeysUsed"/>.</summary>
    public static string UnknownKeyMessage(string source, string path, IReadOnlyList<string> expected)
    {
        var message = $"{source}: unknown key '{path}'";
        if (expected.Count > 0)
            message += $" (expected one of: {string.Join(", ", expected)})";
        if (KeyNames.Closest(KeyPath.Last(path), expected) is { } suggestion)
            message += $"; did you mean '{suggestion}'?";
        return message;
    }

    /// <summary>What a value is bound as: its declared type, whether null is allowed, and the checks on it.</summary>
    private readonly record struct Slot(Type Type, bool AllowsNull, NullabilityInfo? Info, IReadOnlyList<RecipeCheckAttribute> Checks)
    {
        public static Slot Of(BindableMember member) => new(member.Type, member.AllowsNull, member.Nullability, member.Checks);

        /// <summary>An item of a list or dictionary: the checks on the collection apply to each item.</summary>
        public Slot For(Type itemType, NullabilityInfo? itemInfo) =>
            new(itemType, BindableMember.AllowsNullFor(itemType, itemInfo?.ReadState ?? NullabilityState.Unknown), itemInfo, Checks);
    }
}
