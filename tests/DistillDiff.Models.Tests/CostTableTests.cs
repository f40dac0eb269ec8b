namespace DistillDiff.Models.Tests;

using DistillDiff.Engine;
using DistillDiff.Models.Mlp;
using DistillDiff.Models.Mobile;
using DistillDiff.Models.Profiling;
using DistillDiff.Models.UNet2D;

/// <summary>
/// The parameter / MAC table of docs/models.md, measured by running each forward pass under MacCounter. The
/// expected numbers are the ones printed in the docs: if a block changes, this test says which row to update.
/// Print it: dotnet test tests/DistillDiff.Models.Tests --filter CostTable --logger "console;verbosity=detailed"
/// </summary>
public class CostTableTests(ITestOutputHelper output)
{
    private static readonly UNet2DConfig FashionUNet = new()
    {
        SampleSize = 28,
        InChannels = 1,
        OutChannels = 1,
        BlockOutChannels = [64, 128, 128],
        DownBlockTypes = ["DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"],
        UpBlockTypes = ["AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"],
        AttentionHeadDim = 32,
    };

    private static readonly MobileUNetConfig FashionMobile = new()
    {
        SampleSize = 28,
        InChannels = 1,
        OutChannels = 1,
        BlockOutChannels = [64, 128, 128],
        LayersPerBlock = [1, 1, 2],
    };

    private static readonly MobileUNetConfig CifarMobile = new()
    {
        SampleSize = 32,
        BlockOutChannels = [128, 256, 256, 256],
        LayersPerBlock = [1, 1, 2, 2],
    };

    public static TheoryData<string, string, long, long> Rows => new()
    {
        // row, model, parameters, MACs per sample
        { "fashion-unet2d", "unet2d", 6_801_409, 1_217_601_024 },
        { "fashion-mobile", "mobile-unet", 2_001_601, 288_625_792 },
        { "fashion-mobile-full-conv", "mobile-unet", 5_405_761, 802_246_144 },
        { "cifar-unet2d-ddpm", "unet2d", 35_746_307, 6_221_856_768 },
        { "cifar-mobile", "mobile-unet", 11_024_259, 1_453_707_264 },
        { "toy-mlp", "mlp", 125_570, 123_392 },
    };

    private static (object Config, long[] Shape) Row(string row) => row switch
    {
        "fashion-unet2d" => (FashionUNet, [1, 1, 28, 28]),
        "fashion-mobile" => (FashionMobile, [1, 1, 28, 28]),
        "fashion-mobile-full-conv" => (FashionMobile with { SeparableConv = false }, [1, 1, 28, 28]),
        "cifar-unet2d-ddpm" => (UNet2DConfig.DdpmCifar10, [1, 3, 32, 32]),
        "cifar-mobile" => (CifarMobile, [1, 3, 32, 32]),
        "toy-mlp" => (new MlpDenoiserConfig(), [1, 2]),
        _ => throw new ArgumentException(row),
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void CostTable(string row, string model, long parameters, long macs)
    {
        var (config, shape) = Row(row);
        using var network = ModelRegistry.Create(model, config);
        var measured = MacCounter.MeasureForward(network, shape);
        output.WriteLine($"| {row} | {model} | [{string.Join(", ", shape)}] | {network.NumParameters():N0} | {measured:N0} | {measured / 1e9:F3} |");
        Assert.Equal(parameters, network.NumParameters());
        Assert.Equal(macs, measured);
    }
}
