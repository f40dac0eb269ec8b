namespace DistillDiff.Engine.Nn;

public sealed class LayerNorm : Layer
{
    private readonly long[] _shape;
    private readonly double _eps;

    public LayerNorm(long normalizedSize, double eps = 1e-5, bool affine = true)
    {
        (_shape, _eps) = ([normalizedSize], eps);
        if (affine)
        {
            Weight = RegisterParameter("weight", Torch.Ones(normalizedSize));
            Bias = RegisterParameter("bias", Torch.Zeros(normalizedSize));
        }
    }

    public Tensor? Weight { get; }
    public Tensor? Bias { get; }

    public override Tensor Forward(Tensor x) => Functional.LayerNorm(x, _shape, Weight, Bias, _eps);
}
