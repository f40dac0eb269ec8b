namespace DistillDiff.Models.Mobile;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;
using DistillDiff.Models.Blocks;
using DistillDiff.Models.Profiling;

/// <summary>
/// The UNet of <see cref="MobileUNetConfig"/>, built from the same blocks as unet2d (so the parameter names read
/// the same: down_blocks.{i}.resnets.{j}..., with conv1.depthwise / conv1.pointwise when separable). Odd sizes
/// work: each upsampler resizes to the matching skip connection.
/// </summary>
public sealed class MobileUNet : DenoiserBackbone
{
    private readonly Conv2d _convIn, _convOut;
    private readonly TimestepEmbedding _timeEmbedding;
    private readonly Embedding? _classEmbedding;
    private readonly ModuleList<DownBlock2D> _downBlocks;
    private readonly UNetMidBlock2D _midBlock;
    private readonly ModuleList<UpBlock2D> _upBlocks;
    private readonly GroupNorm _convNormOut;
    private readonly Activation _convAct;

    public MobileUNet(MobileUNetConfig config)
    {
        config.Validate();
        Config = config;
        var ch = config.BlockOutChannels;
        var levels = ch.Count;
        var tembDim = config.TimeEmbedDim();
        var attnLevels = config.ResolvedAttentionLevels();

        _convIn = RegisterModule("conv_in", new Conv2d(config.InChannels, ch[0], 3, padding: 1));
        _timeEmbedding = RegisterModule("time_embedding", new TimestepEmbedding(ch[0], tembDim));
        if (config.NumClassEmbeds is int n) _classEmbedding = RegisterModule("class_embedding", new Embedding(n, tembDim));

        var resnet = new ResnetSettings(tembDim, config.NormNumGroups, config.NormEps, config.ActFn, config.Dropout, Separable: config.SeparableConv);
        var attention = new AttentionSettings(config.AttentionHeadDim, config.NormNumGroups, config.NormEps);

        _downBlocks = RegisterModule("down_blocks", new ModuleList<DownBlock2D>());
        for (var i = 0; i < levels; i++)
            _downBlocks.Add(new DownBlock2D(i == 0 ? ch[0] : ch[i - 1], ch[i], config.LayersPerBlock[i], resnet,
                attnLevels.Contains(i) ? attention : null, addDownsample: i < levels - 1, downsamplePadding: 1));

        _midBlock = RegisterModule("mid_block", new UNetMidBlock2D(ch[^1], resnet, config.MidAttention ? attention : null));

        // Up level for encoder level l (deepest first): its last resnet's skip comes from level l - 1 (or conv_in).
        _upBlocks = RegisterModule("up_blocks", new ModuleList<UpBlock2D>());
        for (var l = levels - 1; l >= 0; l--)
            _upBlocks.Add(new UpBlock2D(ch[Math.Max(l - 1, 0)], ch[Math.Min(l + 1, levels - 1)], ch[l], config.LayersPerBlock[l] + 1, resnet,
                attnLevels.Contains(l) ? attention : null, addUpsample: l > 0));

        _convNormOut = RegisterModule("conv_norm_out", new GroupNorm(config.NormNumGroups, ch[0], config.NormEps));
        _convAct = RegisterModule("conv_act", new Activation("silu"));
        _convOut = RegisterModule("conv_out", new Conv2d(ch[0], config.OutChannels, 3, padding: 1));
    }

    public MobileUNetConfig Config { get; }

    public override int SampleChannels => Config.InChannels;

    public override int OutChannels => Config.OutChannels;

    public override Tensor Forward(Tensor sample, Tensor timestep, Tensor? classLabels = null)
    {
        var s = sample.Shape;
        if (s.Length != 4 || s[1] != Config.InChannels)
            throw new ArgumentException($"MobileUNet expects [B, {Config.InChannels}, H, W] samples, got [{string.Join(", ", s)}]");
        using var scope = Torch.NewDisposeScope();
        var dtype = _convIn.Weight.DType;
        var t = TimestepEncoding.ToBatch(timestep, s[0], sample.Device);
        var sinusoid = TimestepEncoding.Sinusoidal(t, Config.BlockOutChannels[0], Config.FlipSinToCos, Config.FreqShift);
        var emb = _timeEmbedding.Forward(sinusoid.To(dtype));
        emb = ClassConditioning.Add(emb, _classEmbedding, classLabels, s[0], nameof(MobileUNet));

        var h = _convIn.Counted(sample);
        var skips = new List<Tensor> { h };
        foreach (var block in _downBlocks) h = block.Forward(h, emb, skips);
        h = _midBlock.Forward(h, emb);
        foreach (var block in _upBlocks)
        {
            // Upsample to the next level's skip size, so odd sizes (28 -> 14 -> 7 -> 4) come back exactly.
            var next = skips.Count - block.SkipCount - 1;
            (long, long)? size = next >= 0 ? (skips[next].Size(2), skips[next].Size(3)) : null;
            h = block.Forward(h, skips, emb, size);
        }
        h = _convOut.Counted(_convAct.Forward(_convNormOut.Forward(h)));
        return scope.MoveOut(h);
    }
}
