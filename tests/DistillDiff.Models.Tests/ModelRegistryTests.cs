namespace DistillDiff.Models.Tests;

using DistillDiff.Models.Mlp;
using DistillDiff.Models.Mobile;
using DistillDiff.Models.UNet2D;

public class ModelRegistryTests
{
    [Fact]
    public void ListsTheZoo()
    {
        Assert.Equal(["unet2d", "mobile-unet", "mlp"], ModelRegistry.Names);
        Assert.Equal(typeof(UNet2DConfig), ModelRegistry.Get("unet2d").ConfigType);
        Assert.Equal("UNet2DModel", ModelRegistry.Get("unet2d").ClassName);
        Assert.Equal("mobile-unet", ModelRegistry.ForClassName("DistillDiffMobileUNet").Name);
        Assert.IsType<MlpDenoiserConfig>(ModelRegistry.DefaultConfig("mlp"));
    }

    [Fact]
    public void CreatesEachModelFromItsConfig()
    {
        using var unet = ModelRegistry.Create("unet2d", TestConfigs.SmallUNet());
        using var mobile = ModelRegistry.Create("mobile-unet", new MobileUNetConfig());
        using var mlp = ModelRegistry.Create("mlp", new MlpDenoiserConfig { OutDim = 4 });
        Assert.IsType<UNet2DModel>(unet);
        Assert.IsType<MobileUNet>(mobile);
        Assert.IsType<MlpDenoiser>(mlp);
        Assert.Equal((2, 4), (mlp.SampleChannels, mlp.OutChannels));
    }

    [Fact]
    public void UnknownNameListsTheKnownOnes()
    {
        var ex = Assert.Throws<ArgumentException>(() => ModelRegistry.Create("unet3d", new UNet2DConfig()));
        Assert.Contains("unknown model 'unet3d'", ex.Message);
        Assert.Contains("unet2d, mobile-unet, mlp", ex.Message);
    }

    [Fact]
    public void WrongConfigTypeIsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => ModelRegistry.Create("mlp", TestConfigs.SmallUNet()));
        Assert.Contains("MlpDenoiserConfig", ex.Message);
        Assert.Contains("UNet2DConfig", ex.Message);
    }
}
