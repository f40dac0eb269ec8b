using System.Reflection;
using System.Runtime.CompilerServices;

namespace DistillDiff.Recipes;

/// <summary>A constructor parameter or settable property that a recipe key can fill.</summary>
internal sealed class BindableMember
{
    public required string Name { get; init; }

    /// <summary>The snake_case spelling shown to users in lists of expected keys.</summary>
    public required string KeyName { get; init; }

    public required Type Type { get; init; }

    public required bool AllowsNull { get; init; }

    public required NullabilityInfo Nullability { get; init; }

    public required IReadOnlyList<RecipeCheckAttribute> Checks { get; init; }

    /// <summary>Absent from the recipe is an error: a <c>required</c> property, or a constructor parameter with no default that cannot be null.</summary>
    public required bool Required { get; init; }

    public ParameterInfo? Parameter { get; init; }

    public PropertyInfo? Property { get; init; }

    public object? DefaultValue { get; init; }

    public static BindableMember ForParameter(ParameterInfo parameter, PropertyInfo? property, NullabilityInfoContext context)
    {
        var nullability = context.Create(parameter);
        var allowsNull = AllowsNullFor(parameter.ParameterType, nullability.WriteState);
        var name = property?.Name ?? parameter.Name!;
        return new BindableMember
        {
            Name = name,
            KeyName = KeyNames.ToSnake(name),
            Type = parameter.ParameterType,
            AllowsNull = allowsNull,
            Nullability = nullability,
            Checks = [.. parameter.GetCustomAttributes<RecipeCheckAttribute>(), .. property?.GetCustomAttributes<RecipeCheckAttribute>() ?? []],
            Required = !parameter.HasDefaultValue && !allowsNull,
            Parameter = parameter,
            Property = property,
            DefaultValue = parameter.HasDefaultValue ? DefaultOf(parameter) : null,
        };
    }

    public static BindableMember ForProperty(PropertyInfo property, NullabilityInfoContext context)
    {
        var nullability = context.Create(property);
        return new BindableMember
        {
            Name = property.Name,
            KeyName = KeyNames.ToSnake(property.Name),
            Type = property.PropertyType,
            AllowsNull = AllowsNullFor(property.PropertyType, nullability.WriteState),
            Nullability = nullability,
            Checks = [.. property.GetCustomAttributes<RecipeCheckAttribute>()],
            Required = property.IsDefined(typeof(RequiredMemberAttribute), inherit: true),
            Property = property,
        };
    }

    public static bool AllowsNullFor(Type type, NullabilityState state) =>
        Nullable.GetUnderlyingType(type) is not null || (!type.IsValueType && state != NullabilityState.NotNull);

    // Reflection reports enum defaults as their underlying integer and `default` struct values as null.
    private static object? DefaultOf(ParameterInfo parameter)
    {
        var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
        var value = parameter.DefaultValue;
        if (value is null)
            return parameter.ParameterType.IsValueType && Nullable.GetUnderlyingType(parameter.ParameterType) is null
                ? Activator.CreateInstance(parameter.ParameterType)
                : null;
        return type.IsEnum && value.GetType() != type ? Enum.ToObject(type, value) : value;
    }
}
