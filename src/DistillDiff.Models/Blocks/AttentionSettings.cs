namespace DistillDiff.Models.Blocks;

/// <summary>How a block builds its <see cref="AttentionBlock2D"/>s.</summary>
/// <param name="HeadDim">Channels per head; null = one head (diffusers' attention_head_dim = None).</param>
/// <param name="NormGroups">GroupNorm groups before the projections; null = no norm.</param>
/// <param name="Eps">GroupNorm epsilon.</param>
/// <param name="RescaleOutputFactor">The residual sum is divided by this.</param>
public sealed record AttentionSettings(int? HeadDim, int? NormGroups, double Eps, double RescaleOutputFactor = 1.0);
