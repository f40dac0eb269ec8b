namespace DistillDiff.Recipes;

/// <summary>The number must lie in [<see cref="Min"/>, <see cref="Max"/>], both ends included.</summary>
public sealed class RangeAttribute(double min, double max) : RecipeCheckAttribute
{
    public double Min { get; } = min;

    public double Max { get; } = max;

    public override string? Check(object value)
    {
        var number = AsNumber(value);
        return number >= Min && number <= Max ? null : $"must be between {Format(Min)} and {Format(Max)}";
    }
}
