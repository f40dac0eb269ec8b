namespace DistillDiff.Export.Onnx;

/// <summary>What one column of sinusoidal timestep features is: sin(t f), cos(t f), or zero padding.</summary>
public enum SinusoidColumn
{
    Zero,
    Sin,
    Cos,
}
