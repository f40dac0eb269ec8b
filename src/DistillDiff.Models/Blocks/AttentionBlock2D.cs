namespace DistillDiff.Models.Blocks;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;
using DistillDiff.Models.Profiling;
using F = DistillDiff.Engine.Functional;

/// <summary>
/// Self-attention over the pixels of a feature map, as diffusers' Attention in UNet2DModel's blocks
/// (_from_deprecated_attn_block, residual_connection): group_norm, to_q/to_k/to_v, to_out.0 (linear) and to_out.1
/// (dropout), plus the input, divided by rescale_output_factor. Older checkpoints call the same weights
/// query/key/value/proj_attn; <see cref="UNet2D.UNet2DModel.UpgradeStateDict"/> renames them.
/// </summary>
public sealed class AttentionBlock2D : Module
{
    private readonly GroupNorm? _groupNorm;
    private readonly Linear _toQ, _toK, _toV, _toOut;
    private readonly Dropout _dropout;
    private readonly long _heads, _headDim;
    private readonly double _rescaleOutputFactor;

    /// <param name="channels">Feature-map channels (query_dim).</param>
    /// <param name="headDim">Channels per head; null means one head over all channels (diffusers' attention_head_dim = None).
    /// diffusers uses channels / headDim heads (rounded down), so the inner width may be below <paramref name="channels"/>.</param>
    /// <param name="normGroups">GroupNorm groups before the projections, or null for no norm.</param>
    public AttentionBlock2D(long channels, int? headDim, int? normGroups, double eps, double rescaleOutputFactor = 1.0, double dropout = 0.0)
    {
        _headDim = headDim ?? channels;
        if (_headDim <= 0 || _headDim > channels)
            throw new ArgumentException($"attention_head_dim {_headDim} must be in 1..{channels} for a {channels}-channel attention block");
        _heads = channels / _headDim;
        var inner = _heads * _headDim;
        _rescaleOutputFactor = rescaleOutputFactor;
        if (normGroups is int g) _groupNorm = RegisterModule("group_norm", new GroupNorm(g, channels, eps));
        _toQ = RegisterModule("to_q", new Linear(channels, inner));
        _toK = RegisterModule("to_k", new Linear(channels, inner));
        _toV = RegisterModule("to_v", new Linear(channels, inner));
        var toOut = RegisterModule("to_out", new ModuleList<Layer>());
        toOut.Add(_toOut = new Linear(inner, channels));
        toOut.Add(_dropout = new Dropout(dropout));
    }

    public long Heads => _heads;

    /// <param name="x">[B, C, H, W].</param>
    public Tensor Forward(Tensor x)
    {
        using var scope = Torch.NewDisposeScope();
        var s = x.Shape;
        var (b, c, len) = (s[0], s[1], s[2] * s[3]);
        var h = _groupNorm?.Forward(x) ?? x;
        h = h.Reshape(b, c, len).Transpose(1, 2); // [B, HW, C]: pixels are the tokens
        var q = SplitHeads(_toQ.Counted(h), b, len);
        var k = SplitHeads(_toK.Counted(h), b, len);
        var v = SplitHeads(_toV.Counted(h), b, len);
        var o = F.ScaledDotProductAttention(q, k, v); // scale 1/sqrt(head_dim), as diffusers
        MacCounter.AddAttention(b * _heads, len, len, _headDim);
        o = o.Transpose(1, 2).Reshape(b, len, _heads * _headDim);
        o = _dropout.Forward(_toOut.Counted(o));
        o = o.Transpose(1, 2).Reshape(b, c, s[2], s[3]);
        var y = o + x;
        if (_rescaleOutputFactor != 1.0) y = y / _rescaleOutputFactor;
        return scope.MoveOut(y);
    }

    private Tensor SplitHeads(Tensor t, long b, long len) => t.View(b, len, _heads, _headDim).Transpose(1, 2);
}
