namespace DistillDiff.Models.Mlp;

using DistillDiff.Models.Checkpoints;

/// <summary>A small residual MLP for [B, D] toy data (2-D mixtures, spirals): fast enough to train distillation recipes in seconds.</summary>
public sealed record MlpDenoiserConfig : IModelConfig, IClassConditionalConfig
{
    /// <summary>Features per sample (D).</summary>
    public int DataDim { get; init; } = 2;

    /// <summary>Width of the residual stream and of the conditioning vector.</summary>
    public int Hidden { get; init; } = 128;

    /// <summary>Residual blocks.</summary>
    public int Blocks { get; init; } = 3;

    /// <summary>Sinusoidal timestep features fed to the time MLP.</summary>
    public int TimeEmbedDim { get; init; } = 64;

    /// <summary>Output features; null = data_dim (use 2 x data_dim for the "both" parameterisation).</summary>
    public int? OutDim { get; init; }

    /// <summary>"layer_norm" at the start of each block and before the output, or "none".</summary>
    public string Norm { get; init; } = "layer_norm";

    /// <summary>Classes for an embedding added to the time conditioning; null = unconditional.</summary>
    public int? NumClassEmbeds { get; init; }

    public int ResolvedOutDim() => OutDim ?? DataDim;

    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException(message);
        }

        Require(DataDim > 0, $"data_dim must be positive, got {DataDim}");
        Require(Hidden > 0, $"hidden must be positive, got {Hidden}");
        Require(Blocks >= 0, $"blocks must be >= 0, got {Blocks}");
        Require(TimeEmbedDim >= 2, $"time_embed_dim must be at least 2, got {TimeEmbedDim}");
        Require(OutDim is null or > 0, $"out_dim must be positive, got {OutDim}");
        Require(Norm is "layer_norm" or "none", $"norm '{Norm}' is not supported (expected layer_norm or none)");
        Require(NumClassEmbeds is null or > 0, $"num_class_embeds must be positive, got {NumClassEmbeds}");
    }
}
