namespace DistillDiff.Engine.Nn;

public sealed class GroupNorm : Layer
{
    private readonly long _groups;
    private readonly double _eps;

    public GroupNorm(long numGroups, long numChannels, double eps = 1e-5, bool affine = true)
    {
        if (numChannels % numGroups != 0)
            throw new ArgumentException($"GroupNorm: {numChannels} channels are not divisible into {numGroups} groups");
        (_groups, _eps) = (numGroups, eps);
        if (affine)
        {
            Weight = RegisterParameter("weight", Torch.Ones(numChannels));
            Bias = RegisterParameter("bias", Torch.Zeros(numChannels));
        }
    }

    public Tensor? Weight { get; }
    public Tensor? Bias { get; }

    public override Tensor Forward(Tensor x) => Functional.GroupNorm(x, _groups, Weight, Bias, _eps);
}
