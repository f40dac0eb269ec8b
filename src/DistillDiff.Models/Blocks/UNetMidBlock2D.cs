namespace DistillDiff.Models.Blocks;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;

/// <summary>diffusers UNetMidBlock2D with one layer: resnets.0, attentions.0 (unless attention is off), resnets.1.</summary>
public sealed class UNetMidBlock2D : Module
{
    private readonly ModuleList<ResnetBlock2D> _resnets;
    private readonly ModuleList<AttentionBlock2D>? _attentions;

    public UNetMidBlock2D(long channels, ResnetSettings resnet, AttentionSettings? attention)
    {
        _resnets = RegisterModule("resnets", new ModuleList<ResnetBlock2D>());
        _resnets.Add(new ResnetBlock2D(channels, channels, resnet));
        if (attention != null)
        {
            _attentions = RegisterModule("attentions", new ModuleList<AttentionBlock2D>());
            _attentions.Add(new AttentionBlock2D(channels, attention.HeadDim, attention.NormGroups, attention.Eps, attention.RescaleOutputFactor));
        }
        _resnets.Add(new ResnetBlock2D(channels, channels, resnet));
    }

    public Tensor Forward(Tensor x, Tensor temb)
    {
        var h = _resnets[0].Forward(x, temb);
        if (_attentions != null) h = _attentions[0].Forward(h);
        return _resnets[1].Forward(h, temb);
    }
}
