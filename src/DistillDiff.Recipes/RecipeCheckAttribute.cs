using System.Globalization;

namespace DistillDiff.Recipes;

/// <summary>
/// A rule a recipe value must satisfy, checked when it is bound. On a list or dictionary the rule applies to each item.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter, AllowMultiple = true)]
public abstract class RecipeCheckAttribute : Attribute
{
    /// <summary>
    /// Null when <paramref name="value"/> is acceptable; otherwise the rule phrased to follow "key 'x' ",
    /// e.g. "must be positive".
    /// </summary>
    public abstract string? Check(object value);

    protected double AsNumber(object value) => value switch
    {
        double or float or decimal or int or long or short or sbyte or byte or uint or ulong or ushort =>
            Convert.ToDouble(value, CultureInfo.InvariantCulture),
        _ => throw new InvalidOperationException($"{GetType().Name} applies to numbers, not {value.GetType().Name}"),
    };

    protected static string Format(double bound) => bound.ToString(CultureInfo.InvariantCulture);
}
