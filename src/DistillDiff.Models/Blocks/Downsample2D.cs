namespace DistillDiff.Models.Blocks;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;
using DistillDiff.Models.Profiling;
using F = DistillDiff.Engine.Functional;

/// <summary>
/// diffusers Downsample2D with use_conv: a 3 x 3 stride-2 conv. With padding 0 the input is first padded by one
/// row and column at the bottom and right only (pad (0, 1, 0, 1)), the original DDPM TensorFlow "SAME" layout,
/// so an even H becomes exactly H / 2.
/// </summary>
public sealed class Downsample2D : Layer
{
    private readonly Conv2d _conv;
    private readonly int _padding;

    public Downsample2D(long channels, long outChannels, int padding)
    {
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, "downsample_padding must be >= 0");
        _padding = padding;
        _conv = RegisterModule("conv", new Conv2d(channels, outChannels, 3, stride: 2, padding: padding));
    }

    public override Tensor Forward(Tensor x)
    {
        if (_padding != 0) return _conv.Counted(x);
        using var scope = Torch.NewDisposeScope();
        return scope.MoveOut(_conv.Counted(F.Pad(x, [0, 1, 0, 1])));
    }
}
