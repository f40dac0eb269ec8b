namespace DistillDiff.Models.Blocks;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;

/// <summary>
/// One decoder level: diffusers UpBlock2D, or AttnUpBlock2D when attention settings are given. Each resnet takes
/// the running features concatenated with the newest remaining skip connection; then an optional Upsample2D.
/// Channel bookkeeping as in diffusers: resnet i sees prev_output_channel (i = 0) or out_channels, plus a skip of
/// out_channels, except the last one whose skip comes from the level above and has in_channels.
/// </summary>
public sealed class UpBlock2D : Module
{
    private readonly ModuleList<ResnetBlock2D> _resnets;
    private readonly ModuleList<AttentionBlock2D>? _attentions;
    private readonly Upsample2D? _upsampler;

    public UpBlock2D(long inChannels, long prevOutputChannels, long outChannels, int numLayers, ResnetSettings resnet,
        AttentionSettings? attention, bool addUpsample)
    {
        if (numLayers < 1) throw new ArgumentOutOfRangeException(nameof(numLayers), numLayers, "an up block needs at least one resnet");
        _resnets = RegisterModule("resnets", new ModuleList<ResnetBlock2D>());
        if (attention != null) _attentions = RegisterModule("attentions", new ModuleList<AttentionBlock2D>());
        for (var i = 0; i < numLayers; i++)
        {
            var skipChannels = i == numLayers - 1 ? inChannels : outChannels;
            var resnetIn = i == 0 ? prevOutputChannels : outChannels;
            _resnets.Add(new ResnetBlock2D(resnetIn + skipChannels, outChannels, resnet));
            if (attention != null)
                _attentions!.Add(new AttentionBlock2D(outChannels, attention.HeadDim, attention.NormGroups, attention.Eps, attention.RescaleOutputFactor));
        }
        if (addUpsample)
            RegisterModule("upsamplers", new ModuleList<Upsample2D>()).Add(_upsampler = new Upsample2D(outChannels, outChannels));
    }

    public bool HasAttention => _attentions != null;

    /// <summary>Number of skip tensors Forward consumes (one per resnet).</summary>
    public int SkipCount => _resnets.Count;

    /// <summary>Consumes <see cref="SkipCount"/> tensors from the end of <paramref name="skips"/>.</summary>
    /// <param name="upsampleSize">Output size of the upsampler; null doubles H and W (diffusers UNet2DModel).</param>
    public Tensor Forward(Tensor x, List<Tensor> skips, Tensor temb, (long H, long W)? upsampleSize = null)
    {
        var h = x;
        for (var i = 0; i < _resnets.Count; i++)
        {
            var skip = skips[^1];
            skips.RemoveAt(skips.Count - 1);
            h = _resnets[i].Forward(Torch.Cat([h, skip], 1), temb);
            if (_attentions != null) h = _attentions[i].Forward(h);
        }
        return _upsampler != null ? _upsampler.Forward(h, upsampleSize) : h;
    }
}
