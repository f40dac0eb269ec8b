namespace DistillDiff.Formats.TensorBoard;

/// <summary>Summary.Value: a tag with a scalar (simple_value) or an image; kinds this library does not decode leave both null.</summary>
public sealed record TensorBoardValue(string Tag, float? SimpleValue, TensorBoardImage? Image);
