namespace DistillDiff.Engine.Nn;

/// <summary>A module with one tensor in and one out, so it can sit in a <see cref="Sequential"/>.</summary>
public abstract class Layer : Module
{
    public abstract Tensor Forward(Tensor x);
}
