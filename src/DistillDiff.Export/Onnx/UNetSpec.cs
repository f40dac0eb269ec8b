namespace DistillDiff.Export.Onnx;

using DistillDiff.Engine;

/// <summary>
/// What the UNet emitter needs beyond the weights (which already say how many levels, resnets, attentions,
/// shortcuts and separable convolutions there are): the scalars of the config that shape the computation.
/// </summary>
/// <param name="Model">Name for messages and the graph.</param>
/// <param name="Sinusoid">The model's own sinusoidal features of [B] timesteps, probed by <see cref="SinusoidProbe"/>.</param>
/// <param name="MidAttentionGroups">GroupNorm groups of the middle attention; null = no norm there.</param>
/// <param name="UpsampleToSkip">Upsample to the size of the next skip (odd sizes) instead of doubling.</param>
/// <param name="ClassEmbed">none, embedding (label table), timestep (labels embedded like timesteps) or identity ([B, temb] vectors).</param>
public sealed record UNetSpec(
    string Model,
    int InChannels,
    int OutChannels,
    int Groups,
    double Eps,
    string ActFn,
    string TimeScaleShift,
    double MidScale,
    int? HeadDim,
    int? MidAttentionGroups,
    int DownsamplePadding,
    bool UpsampleToSkip,
    bool CenterInput,
    string ClassEmbed,
    Func<Tensor, Tensor> Sinusoid);
