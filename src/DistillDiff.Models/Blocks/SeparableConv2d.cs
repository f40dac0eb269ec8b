namespace DistillDiff.Models.Blocks;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;
using DistillDiff.Models.Profiling;

/// <summary>
/// Depthwise k x k convolution followed by a pointwise 1 x 1 one (MobileNet): about in*k^2 + in*out weights and
/// MACs per pixel instead of in*out*k^2, i.e. roughly k^2 = 9 times cheaper at equal width.
/// </summary>
public sealed class SeparableConv2d : Layer
{
    private readonly Conv2d _depthwise, _pointwise;

    public SeparableConv2d(long inChannels, long outChannels, int kernelSize = 3, int padding = 1)
    {
        _depthwise = RegisterModule("depthwise", new Conv2d(inChannels, inChannels, kernelSize, padding: padding, groups: inChannels));
        _pointwise = RegisterModule("pointwise", new Conv2d(inChannels, outChannels, 1));
    }

    public override Tensor Forward(Tensor x)
    {
        using var scope = Torch.NewDisposeScope();
        return scope.MoveOut(_pointwise.Counted(_depthwise.Counted(x)));
    }
}
