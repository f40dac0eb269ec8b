using System.Collections.Concurrent;
using System.Reflection;

namespace DistillDiff.Recipes;

/// <summary>How a record or class is built from a recipe section: which constructor, and which keys fill what.</summary>
internal sealed class TypeShape
{
    private static readonly ConcurrentDictionary<Type, TypeShape> Cache = new();

    private readonly Dictionary<string, BindableMember> byKey;

    private TypeShape(Type type, ConstructorInfo? constructor, IReadOnlyList<BindableMember> members)
    {
        Constructor = constructor;
        Members = members;
        byKey = [];
        foreach (var member in members)
        {
            if (!byKey.TryAdd(KeyNames.Normalize(member.Name), member))
                throw new NotSupportedException(
                    $"{type}: members '{byKey[KeyNames.Normalize(member.Name)].Name}' and '{member.Name}' would be set by the same recipe key");
        }
    }

    /// <summary>Null for a struct without constructors, which starts from its default value.</summary>
    public ConstructorInfo? Constructor { get; }

    /// <summary>Constructor parameters in order, then the settable properties the constructor does not cover.</summary>
    public IReadOnlyList<BindableMember> Members { get; }

    public static TypeShape Of(Type type) => Cache.GetOrAdd(type, Create);

    public BindableMember? Find(string key) => byKey.GetValueOrDefault(KeyNames.Normalize(key));

    private static TypeShape Create(Type type)
    {
        if (type.IsAbstract || type.IsInterface)
            throw new NotSupportedException($"{type} is abstract; a recipe section can only bind to a concrete record or class");

        // A record's copy constructor takes the record itself and is never what a recipe means.
        var constructors = type.GetConstructors(BindingFlags.Public | BindingFlags.Instance)
            .Where(c => c.GetParameters() is not [var only] || only.ParameterType != type)
            .ToList();
        var constructor = constructors.FirstOrDefault(c => c.GetParameters().Length == 0)
            ?? constructors.OrderByDescending(c => c.GetParameters().Length).FirstOrDefault();
        if (constructor is null && !type.IsValueType)
            throw new NotSupportedException($"{type} has no public constructor to bind a recipe section to");

        var context = new NullabilityInfoContext();
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0)
            .ToList();
        var members = new List<BindableMember>();
        foreach (var parameter in constructor?.GetParameters() ?? [])
        {
            var property = properties.FirstOrDefault(p => p.Name.Equals(parameter.Name, StringComparison.OrdinalIgnoreCase));
            members.Add(BindableMember.ForParameter(parameter, property, context));
        }
        foreach (var property in properties)
        {
            if (property.SetMethod is { IsPublic: true } && !members.Any(m => m.Property == property))
                members.Add(BindableMember.ForProperty(property, context));
        }
        return new TypeShape(type, constructor, members);
    }
}
