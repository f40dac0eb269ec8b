namespace DistillDiff.Models.Blocks;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;
using DistillDiff.Models.Profiling;

/// <summary>
/// diffusers ResnetBlock2D (pre-norm): norm1, act, conv1, + projected embedding, norm2, act, dropout, conv2, plus
/// the input (through a 1 x 1 conv_shortcut when the width changes), divided by output_scale_factor.
/// </summary>
public sealed class ResnetBlock2D : Module
{
    private readonly GroupNorm _norm1, _norm2;
    private readonly Layer _conv1, _conv2;
    private readonly Linear _timeEmbProj;
    private readonly Dropout _dropout;
    private readonly Conv2d? _convShortcut;
    private readonly Activation _act;
    private readonly bool _scaleShift;
    private readonly double _outputScaleFactor;

    public ResnetBlock2D(long inChannels, long outChannels, ResnetSettings s)
    {
        _scaleShift = s.TimeScaleShift switch
        {
            "default" => false,
            "scale_shift" => true,
            _ => throw new ArgumentException($"resnet_time_scale_shift '{s.TimeScaleShift}' is not supported (expected default or scale_shift)"),
        };
        _outputScaleFactor = s.OutputScaleFactor;
        _norm1 = RegisterModule("norm1", new GroupNorm(s.Groups, inChannels, s.Eps));
        _conv1 = RegisterModule("conv1", Conv3x3(inChannels, outChannels, s.Separable));
        // scale_shift projects to 2C: a scale and a shift per channel.
        _timeEmbProj = RegisterModule("time_emb_proj", new Linear(s.TembChannels, _scaleShift ? 2 * outChannels : outChannels));
        _norm2 = RegisterModule("norm2", new GroupNorm(s.Groups, outChannels, s.Eps));
        _dropout = RegisterModule("dropout", new Dropout(s.Dropout));
        _conv2 = RegisterModule("conv2", Conv3x3(outChannels, outChannels, s.Separable));
        if (inChannels != outChannels) _convShortcut = RegisterModule("conv_shortcut", new Conv2d(inChannels, outChannels, 1));
        _act = new Activation(s.ActFn);
    }

    private static Layer Conv3x3(long inChannels, long outChannels, bool separable) =>
        separable ? new SeparableConv2d(inChannels, outChannels) : new Conv2d(inChannels, outChannels, 3, padding: 1);

    /// <param name="x">[B, C_in, H, W].</param>
    /// <param name="temb">[B, temb_channels].</param>
    public Tensor Forward(Tensor x, Tensor temb)
    {
        using var scope = Torch.NewDisposeScope();
        var h = _conv1.Counted(_act.Forward(_norm1.Forward(x)));
        var t = _timeEmbProj.Counted(_act.Forward(temb)).Unsqueeze(2).Unsqueeze(3);
        if (_scaleShift)
        {
            var scaleAndShift = t.Chunk(2, 1);
            h = _norm2.Forward(h) * (scaleAndShift[0] + 1) + scaleAndShift[1];
        }
        else
        {
            h = _norm2.Forward(h + t);
        }
        h = _conv2.Counted(_dropout.Forward(_act.Forward(h)));
        var skip = _convShortcut?.Counted(x) ?? x;
        var y = skip + h;
        if (_outputScaleFactor != 1.0) y = y / _outputScaleFactor;
        return scope.MoveOut(y);
    }
}
