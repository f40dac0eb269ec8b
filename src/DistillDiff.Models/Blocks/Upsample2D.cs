namespace DistillDiff.Models.Blocks;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;
using DistillDiff.Models.Profiling;
using F = DistillDiff.Engine.Functional;

/// <summary>diffusers Upsample2D with use_conv: nearest-neighbour x2 (or to a given size), then a 3 x 3 conv.</summary>
public sealed class Upsample2D : Layer
{
    private readonly Conv2d _conv;

    public Upsample2D(long channels, long outChannels) =>
        _conv = RegisterModule("conv", new Conv2d(channels, outChannels, 3, padding: 1));

    public override Tensor Forward(Tensor x) => Forward(x, null);

    /// <param name="size">Output (H, W); null doubles both, as UNet2DModel does.</param>
    public Tensor Forward(Tensor x, (long H, long W)? size)
    {
        using var scope = Torch.NewDisposeScope();
        var up = size is { } hw ? F.Interpolate(x, size: hw) : F.Interpolate(x, scaleFactor: 2.0);
        return scope.MoveOut(_conv.Counted(up));
    }
}
