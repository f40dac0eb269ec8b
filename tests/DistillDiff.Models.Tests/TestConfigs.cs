namespace DistillDiff.Models.Tests;

using DistillDiff.Models.Mlp;
using DistillDiff.Models.Mobile;
using DistillDiff.Models.UNet2D;

/// <summary>Small configs that keep CPU tests fast but still exercise every block type.</summary>
internal static class TestConfigs
{
    /// <summary>Two levels, attention in both directions, a width change (conv_shortcut), 16 x 16 input.</summary>
    public static UNet2DConfig SmallUNet(int? numClassEmbeds = null) => new()
    {
        SampleSize = 16,
        BlockOutChannels = [16, 32],
        DownBlockTypes = ["DownBlock2D", "AttnDownBlock2D"],
        UpBlockTypes = ["AttnUpBlock2D", "UpBlock2D"],
        LayersPerBlock = 1,
        NormNumGroups = 8,
        AttentionHeadDim = 8,
        NumClassEmbeds = numClassEmbeds,
    };

    public static MobileUNetConfig SmallMobile(int? numClassEmbeds = null) => new()
    {
        InChannels = 1,
        OutChannels = 1,
        SampleSize = 28,
        BlockOutChannels = [16, 32, 32],
        LayersPerBlock = [1, 1, 2],
        NormNumGroups = 8,
        AttentionHeadDim = 16,
        NumClassEmbeds = numClassEmbeds,
    };

    public static MlpDenoiserConfig SmallMlp(int? numClassEmbeds = null) => new() { Hidden = 32, Blocks = 2, TimeEmbedDim = 16, NumClassEmbeds = numClassEmbeds };
}
