namespace DistillDiff.Models.UNet2D;

using System.Text.Json.Nodes;
using DistillDiff.Models.Blocks;
using DistillDiff.Models.Checkpoints;

/// <summary>
/// diffusers UNet2DModel's config.json, key for key (snake_case in JSON), with diffusers' defaults, so a diffusers
/// folder's config reads straight into it and ours read back in diffusers. Keys diffusers added later
/// (time_embedding_dim, mid_block_type, ...) are accepted when they hold the value this implementation assumes.
/// </summary>
public sealed record UNet2DConfig : IModelConfig, IClassConditionalConfig
{
    /// <summary>google/ddpm-cifar10-32: the DDPM paper's CIFAR-10 network (35.7M parameters).</summary>
    public static UNet2DConfig DdpmCifar10 => new()
    {
        SampleSize = 32,
        FreqShift = 1,
        FlipSinToCos = false,
        DownBlockTypes = ["DownBlock2D", "AttnDownBlock2D", "DownBlock2D", "DownBlock2D"],
        UpBlockTypes = ["UpBlock2D", "UpBlock2D", "AttnUpBlock2D", "UpBlock2D"],
        BlockOutChannels = [128, 256, 256, 256],
        DownsamplePadding = 0,
        AttentionHeadDim = null,
        NormEps = 1e-6,
    };

    /// <summary>Image side length the network was trained at (informational: the convolutions accept any size divisible by 2^(levels-1)).</summary>
    public int? SampleSize { get; init; }

    public int InChannels { get; init; } = 3;

    public int OutChannels { get; init; } = 3;

    /// <summary>Maps [0, 1] input to [-1, 1] (2x - 1) before conv_in.</summary>
    public bool CenterInputSample { get; init; }

    /// <summary>Only "positional" (sinusoidal) is implemented; diffusers also has "fourier" and "learned".</summary>
    public string TimeEmbeddingType { get; init; } = "positional";

    /// <summary>downscale_freq_shift of the sinusoidal embedding (DDPM: 1).</summary>
    public int FreqShift { get; init; }

    /// <summary>[cos, sin] instead of [sin, cos] (DDPM: false).</summary>
    public bool FlipSinToCos { get; init; } = true;

    /// <summary>Per level, shallow to deep: DownBlock2D or AttnDownBlock2D.</summary>
    public IReadOnlyList<string> DownBlockTypes { get; init; } = ["DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"];

    /// <summary>Per level, deep to shallow: UpBlock2D or AttnUpBlock2D.</summary>
    public IReadOnlyList<string> UpBlockTypes { get; init; } = ["AttnUpBlock2D", "AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"];

    /// <summary>Channels per level; the time embedding is 4x the first.</summary>
    public IReadOnlyList<int> BlockOutChannels { get; init; } = [224, 448, 672, 896];

    /// <summary>Resnets per down level; up levels have one more.</summary>
    public int LayersPerBlock { get; init; } = 2;

    /// <summary>output_scale_factor of the middle block's resnets and attention.</summary>
    public double MidBlockScaleFactor { get; init; } = 1;

    /// <summary>Padding of the stride-2 downsampling conv; 0 pads the input by (0, 1, 0, 1) instead (DDPM).</summary>
    public int DownsamplePadding { get; init; } = 1;

    public double Dropout { get; init; }

    /// <summary>Activation inside the resnets (the output head always uses SiLU, as in diffusers).</summary>
    public string ActFn { get; init; } = "silu";

    /// <summary>Channels per attention head; null = one head per attention block (DDPM).</summary>
    public int? AttentionHeadDim { get; init; } = 8;

    public int NormNumGroups { get; init; } = 32;

    public double NormEps { get; init; } = 1e-5;

    /// <summary>"default" (add the time embedding) or "scale_shift" (FiLM after norm2).</summary>
    public string ResnetTimeScaleShift { get; init; } = "default";

    /// <summary>Whether the middle block has its attention layer.</summary>
    public bool AddAttention { get; init; } = true;

    /// <summary>null (an nn.Embedding when num_class_embeds is set), "timestep" (labels embedded like timesteps) or "identity" (labels are already [B, 4 C0] vectors).</summary>
    public string? ClassEmbedType { get; init; }

    public int? NumClassEmbeds { get; init; }

    /// <summary>Width of the time (and class) embedding: 4 x block_out_channels[0], as diffusers.</summary>
    public int TimeEmbedDim() => BlockOutChannels[0] * 4;

    /// <summary>Throws an ArgumentException naming the offending key when the config cannot build a network.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException(message);
        }

        var levels = BlockOutChannels.Count;
        Require(levels >= 1, "block_out_channels must have at least one entry");
        Require(BlockOutChannels.All(c => c > 0), $"block_out_channels must be positive, got [{string.Join(", ", BlockOutChannels)}]");
        Require(DownBlockTypes.Count == levels,
            $"down_block_types has {DownBlockTypes.Count} entries but block_out_channels has {levels}: they must match");
        Require(UpBlockTypes.Count == levels,
            $"up_block_types has {UpBlockTypes.Count} entries but block_out_channels has {levels}: they must match");
        foreach (var t in DownBlockTypes)
            Require(t is "DownBlock2D" or "AttnDownBlock2D", $"down_block_types: '{t}' is not supported (expected DownBlock2D or AttnDownBlock2D)");
        foreach (var t in UpBlockTypes)
            Require(t is "UpBlock2D" or "AttnUpBlock2D", $"up_block_types: '{t}' is not supported (expected UpBlock2D or AttnUpBlock2D)");
        Require(InChannels > 0, $"in_channels must be positive, got {InChannels}");
        Require(OutChannels > 0, $"out_channels must be positive, got {OutChannels}");
        Require(SampleSize is null or > 0, $"sample_size must be positive, got {SampleSize}");
        Require(TimeEmbeddingType == "positional",
            $"time_embedding_type '{TimeEmbeddingType}' is not supported (only positional; diffusers' fourier and learned are not implemented)");
        Require(LayersPerBlock >= 1, $"layers_per_block must be at least 1, got {LayersPerBlock}");
        Require(DownsamplePadding >= 0, $"downsample_padding must be >= 0, got {DownsamplePadding}");
        Require(Dropout is >= 0 and < 1, $"dropout must be in [0, 1), got {Dropout}");
        Require(MidBlockScaleFactor > 0, $"mid_block_scale_factor must be positive, got {MidBlockScaleFactor}");
        Require(NormEps > 0, $"norm_eps must be positive, got {NormEps}");
        Require(NormNumGroups > 0 && BlockOutChannels.All(c => c % NormNumGroups == 0),
            $"norm_num_groups {NormNumGroups} must divide every block_out_channels entry [{string.Join(", ", BlockOutChannels)}]");
        Require(ResnetTimeScaleShift is "default" or "scale_shift",
            $"resnet_time_scale_shift '{ResnetTimeScaleShift}' is not supported (expected default or scale_shift)");
        // Only blocks that have attention need channels >= head dim (diffusers builds channels / head_dim heads).
        var attentionChannels = BlockOutChannels.Where((_, i) => DownBlockTypes[i] == "AttnDownBlock2D")
            .Concat(BlockOutChannels.Reverse().Where((_, i) => UpBlockTypes[i] == "AttnUpBlock2D"))
            .Concat(AddAttention ? [BlockOutChannels[^1]] : []);
        Require(AttentionHeadDim is null || AttentionHeadDim > 0 && attentionChannels.All(c => c >= AttentionHeadDim),
            $"attention_head_dim {AttentionHeadDim} must be positive and at most the channels of every block with attention");
        Require(ClassEmbedType is null or "timestep" or "identity",
            $"class_embed_type '{ClassEmbedType}' is not supported (expected null, timestep or identity)");
        Require(NumClassEmbeds is null or > 0, $"num_class_embeds must be positive, got {NumClassEmbeds}");
        Require(ActivationNames.IsKnown(ActFn), $"act_fn '{ActFn}' is not supported (expected silu, swish, gelu, gelu_tanh, relu, tanh or identity)");
    }

    void IModelConfig.CheckUnmodelledKeys(JsonObject raw)
    {
        // Keys of newer diffusers releases, with the values that reproduce the network built here.
        var assumed = new (string Key, string[] Values)[]
        {
            ("time_embedding_dim", ["null", TimeEmbedDim().ToString(System.Globalization.CultureInfo.InvariantCulture)]),
            ("mid_block_type", ["\"UNetMidBlock2D\""]),
            ("downsample_type", ["\"conv\""]),
            ("upsample_type", ["\"conv\""]),
            ("attn_norm_num_groups", ["null"]),
        };
        foreach (var (key, values) in assumed)
        {
            if (!raw.TryGetPropertyValue(key, out var node)) continue;
            var text = node?.ToJsonString() ?? "null";
            if (!values.Contains(text))
                throw new ArgumentException($"{key} = {text} is not supported (implemented: {string.Join(" or ", values)})");
        }
    }

    // Records compare list members by reference; configs are values, so compare their canonical JSON instead.
    public bool Equals(UNet2DConfig? other) => other is not null && ModelConfigJson.Serialize(this) == ModelConfigJson.Serialize(other);

    public override int GetHashCode() => ModelConfigJson.Serialize(this).GetHashCode(StringComparison.Ordinal);

    public override string ToString() => $"{nameof(UNet2DConfig)} {ModelConfigJson.Serialize(this)}";
}
