namespace DistillDiff.Models.Blocks;

/// <summary>What every ResnetBlock2D of a network shares (diffusers passes these to each block as resnet_* arguments).</summary>
/// <param name="TembChannels">Width of the time (plus class) embedding each block projects.</param>
/// <param name="Groups">GroupNorm groups (norm_num_groups).</param>
/// <param name="Eps">GroupNorm epsilon (norm_eps).</param>
/// <param name="ActFn">Activation name (act_fn).</param>
/// <param name="Dropout">Dropout before conv2.</param>
/// <param name="TimeScaleShift">"default" adds the projected embedding before norm2; "scale_shift" modulates after it (FiLM).</param>
/// <param name="OutputScaleFactor">The residual sum is divided by this (mid_block_scale_factor in the middle block).</param>
/// <param name="Separable">Depthwise-separable 3 x 3 convolutions instead of full ones (not in diffusers).</param>
public sealed record ResnetSettings(
    long TembChannels,
    int Groups,
    double Eps,
    string ActFn,
    double Dropout,
    string TimeScaleShift = "default",
    double OutputScaleFactor = 1.0,
    bool Separable = false);
