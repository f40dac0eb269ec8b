namespace DistillDiff.Engine.Nn;

/// <summary>y = x W^T + b, weight [out, in] as in PyTorch.</summary>
public sealed class Linear : Layer
{
    public Linear(long inFeatures, long outFeatures, bool bias = true)
    {
        Weight = RegisterParameter("weight", Init.DefaultUniform([outFeatures, inFeatures], inFeatures));
        if (bias) Bias = RegisterParameter("bias", Init.DefaultUniform([outFeatures], inFeatures));
    }

    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public override Tensor Forward(Tensor x) => Functional.Linear(x, Weight, Bias);
}
