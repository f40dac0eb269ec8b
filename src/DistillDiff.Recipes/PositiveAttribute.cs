namespace DistillDiff.Recipes;

/// <summary>The number must be greater than zero.</summary>
public sealed class PositiveAttribute : RecipeCheckAttribute
{
    public override string? Check(object value) => AsNumber(value) > 0 ? null : "must be positive";
}
