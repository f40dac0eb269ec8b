namespace DistillDiff.Models.Mobile;

using DistillDiff.Models.Blocks;
using DistillDiff.Models.Checkpoints;

/// <summary>
/// An efficiency-minded UNet in the spirit of MobileDiffusion (Zhao et al., 2023): per-level resnet counts so the
/// expensive high-resolution levels get few blocks, attention only where the token count is small (the deepest
/// levels), and optionally depthwise-separable 3 x 3 convolutions in the resnets.
/// </summary>
public sealed record MobileUNetConfig : IModelConfig, IClassConditionalConfig
{
    /// <summary>Image side length the network is meant for (informational; any size works).</summary>
    public int? SampleSize { get; init; }

    public int InChannels { get; init; } = 3;

    public int OutChannels { get; init; } = 3;

    /// <summary>Channels per level, shallow to deep; the time embedding is 4x the first.</summary>
    public IReadOnlyList<int> BlockOutChannels { get; init; } = [64, 128, 256];

    /// <summary>Resnets per down level (up levels get one more); few at high resolution, where each costs most.</summary>
    public IReadOnlyList<int> LayersPerBlock { get; init; } = [1, 1, 2];

    /// <summary>Levels (0 = full resolution) whose resnets are followed by attention; null = the deepest level only.</summary>
    public IReadOnlyList<int>? AttentionLevels { get; init; }

    /// <summary>Attention in the middle block (at the deepest resolution, where it is cheapest).</summary>
    public bool MidAttention { get; init; } = true;

    /// <summary>Channels per attention head; null = one head.</summary>
    public int? AttentionHeadDim { get; init; } = 32;

    /// <summary>Depthwise 3 x 3 + pointwise 1 x 1 instead of full 3 x 3 convolutions in the resnets (about 9x fewer MACs there).</summary>
    public bool SeparableConv { get; init; } = true;

    public int NormNumGroups { get; init; } = 32;

    public double NormEps { get; init; } = 1e-5;

    public string ActFn { get; init; } = "silu";

    public double Dropout { get; init; }

    /// <summary>Sinusoidal embedding layout, as UNet2DConfig.</summary>
    public bool FlipSinToCos { get; init; } = true;

    public int FreqShift { get; init; }

    /// <summary>Classes for an nn.Embedding added to the time embedding; null = unconditional.</summary>
    public int? NumClassEmbeds { get; init; }

    public int TimeEmbedDim() => BlockOutChannels[0] * 4;

    /// <summary>The levels with attention, resolving the null default.</summary>
    public IReadOnlyList<int> ResolvedAttentionLevels() => AttentionLevels ?? [BlockOutChannels.Count - 1];

    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException(message);
        }

        var levels = BlockOutChannels.Count;
        Require(levels >= 1, "block_out_channels must have at least one entry");
        Require(BlockOutChannels.All(c => c > 0), $"block_out_channels must be positive, got [{string.Join(", ", BlockOutChannels)}]");
        Require(LayersPerBlock.Count == levels,
            $"layers_per_block has {LayersPerBlock.Count} entries but block_out_channels has {levels}: they must match");
        Require(LayersPerBlock.All(n => n >= 1), $"layers_per_block entries must be at least 1, got [{string.Join(", ", LayersPerBlock)}]");
        Require(ResolvedAttentionLevels().All(l => l >= 0 && l < levels), $"attention_levels must be in 0..{levels - 1}");
        Require(InChannels > 0 && OutChannels > 0, "in_channels and out_channels must be positive");
        Require(SampleSize is null or > 0, $"sample_size must be positive, got {SampleSize}");
        Require(NormNumGroups > 0 && BlockOutChannels.All(c => c % NormNumGroups == 0),
            $"norm_num_groups {NormNumGroups} must divide every block_out_channels entry [{string.Join(", ", BlockOutChannels)}]");
        Require(NormEps > 0, $"norm_eps must be positive, got {NormEps}");
        Require(Dropout is >= 0 and < 1, $"dropout must be in [0, 1), got {Dropout}");
        Require(AttentionHeadDim is null || AttentionHeadDim > 0 && ResolvedAttentionLevels().All(l => BlockOutChannels[l] >= AttentionHeadDim)
            && (!MidAttention || BlockOutChannels[^1] >= AttentionHeadDim),
            $"attention_head_dim {AttentionHeadDim} must be positive and at most the channels of every level with attention");
        Require(NumClassEmbeds is null or > 0, $"num_class_embeds must be positive, got {NumClassEmbeds}");
        Require(ActivationNames.IsKnown(ActFn), $"act_fn '{ActFn}' is not supported (expected silu, swish, gelu, gelu_tanh, relu, tanh or identity)");
    }

    // Records compare list members by reference; configs are values, so compare their canonical JSON instead.
    public bool Equals(MobileUNetConfig? other) => other is not null && ModelConfigJson.Serialize(this) == ModelConfigJson.Serialize(other);

    public override int GetHashCode() => ModelConfigJson.Serialize(this).GetHashCode(StringComparison.Ordinal);

    public override string ToString() => $"{nameof(MobileUNetConfig)} {ModelConfigJson.Serialize(this)}";
}
