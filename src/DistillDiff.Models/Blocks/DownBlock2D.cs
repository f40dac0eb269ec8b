namespace DistillDiff.Models.Blocks;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;

/// <summary>
/// One encoder level: diffusers DownBlock2D (resnets), or AttnDownBlock2D when attention settings are given
/// (each resnet followed by an attention block), then an optional stride-2 Downsample2D. Every resnet (or
/// attention) output and the downsampled output are kept as skip connections for the decoder.
/// </summary>
public sealed class DownBlock2D : Module
{
    private readonly ModuleList<ResnetBlock2D> _resnets;
    private readonly ModuleList<AttentionBlock2D>? _attentions;
    private readonly Downsample2D? _downsampler;

    public DownBlock2D(long inChannels, long outChannels, int numLayers, ResnetSettings resnet, AttentionSettings? attention,
        bool addDownsample, int downsamplePadding)
    {
        if (numLayers < 1) throw new ArgumentOutOfRangeException(nameof(numLayers), numLayers, "a down block needs at least one resnet");
        _resnets = RegisterModule("resnets", new ModuleList<ResnetBlock2D>());
        if (attention != null) _attentions = RegisterModule("attentions", new ModuleList<AttentionBlock2D>());
        for (var i = 0; i < numLayers; i++)
        {
            _resnets.Add(new ResnetBlock2D(i == 0 ? inChannels : outChannels, outChannels, resnet));
            if (attention != null)
                _attentions!.Add(new AttentionBlock2D(outChannels, attention.HeadDim, attention.NormGroups, attention.Eps, attention.RescaleOutputFactor));
        }
        if (addDownsample)
            RegisterModule("downsamplers", new ModuleList<Downsample2D>()).Add(_downsampler = new Downsample2D(outChannels, outChannels, downsamplePadding));
    }

    public bool HasAttention => _attentions != null;

    public bool HasDownsampler => _downsampler != null;

    /// <summary>Number of skip tensors Forward appends (one per resnet, plus one for the downsampler).</summary>
    public int SkipCount => _resnets.Count + (_downsampler != null ? 1 : 0);

    /// <summary>Runs the level and appends its skip connections to <paramref name="skips"/>.</summary>
    public Tensor Forward(Tensor x, Tensor temb, List<Tensor> skips)
    {
        var h = x;
        for (var i = 0; i < _resnets.Count; i++)
        {
            h = _resnets[i].Forward(h, temb);
            if (_attentions != null) h = _attentions[i].Forward(h);
            skips.Add(h);
        }
        if (_downsampler != null)
        {
            h = _downsampler.Forward(h);
            skips.Add(h);
        }
        return h;
    }
}
