namespace DistillDiff.Export.Tests;

using DistillDiff.Engine;
using DistillDiff.Models;
using DistillDiff.Models.Mlp;
using DistillDiff.Models.Mobile;
using DistillDiff.Models.UNet2D;

/// <summary>Small networks of the zoo with every weight (norm scales and biases included) moved off its initial value.</summary>
internal static class TestNetworks
{
    public static UNet2DConfig SmallUNet(int? classes = 10) => new()
    {
        SampleSize = 8,
        InChannels = 2,
        OutChannels = 2,
        BlockOutChannels = [16, 32],
        DownBlockTypes = ["DownBlock2D", "AttnDownBlock2D"],
        UpBlockTypes = ["AttnUpBlock2D", "UpBlock2D"],
        LayersPerBlock = 1,
        NormNumGroups = 8,
        AttentionHeadDim = 8,
        NumClassEmbeds = classes,
    };

    /// <summary>The DDPM variant: [sin, cos] order with freq_shift 1, bottom-right padded downsampling, one attention head, scale_shift, GELU.</summary>
    public static UNet2DConfig DdpmStyleUNet() => SmallUNet(null) with
    {
        FlipSinToCos = false,
        FreqShift = 1,
        DownsamplePadding = 0,
        AttentionHeadDim = null,
        ResnetTimeScaleShift = "scale_shift",
        ActFn = "gelu",
        MidBlockScaleFactor = 1.5,
        CenterInputSample = true,
    };

    public static MobileUNetConfig SmallMobile(int? classes = 10) => new()
    {
        InChannels = 1,
        OutChannels = 1,
        SampleSize = 7,
        BlockOutChannels = [16, 32, 32],
        LayersPerBlock = [1, 1, 2],
        NormNumGroups = 8,
        AttentionHeadDim = 16,
        NumClassEmbeds = classes,
    };

    public static MlpDenoiserConfig SmallMlp(int? classes = 4) => new() { Hidden = 32, Blocks = 2, TimeEmbedDim = 16, NumClassEmbeds = classes };

    /// <summary>Builds model <paramref name="name"/> and adds N(0, 0.1^2) to every parameter (seeded).</summary>
    public static DenoiserBackbone Create(string name, object config, ulong seed = 1)
    {
        Torch.ManualSeed(seed);
        var model = ModelRegistry.Create(name, config);
        using var noGrad = Torch.NoGrad();
        using var scope = Torch.NewDisposeScope();
        var moved = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value + Torch.RandnLike(kv.Value) * 0.1);
        model.LoadStateDict(moved);
        model.Eval();
        return model;
    }
}
