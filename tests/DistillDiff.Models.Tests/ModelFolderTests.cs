namespace DistillDiff.Models.Tests;

using System.Text.Json.Nodes;
using DistillDiff.Engine;
using DistillDiff.Engine.Nn;
using DistillDiff.Engine.Serialization;
using DistillDiff.Models.Checkpoints;

public class ModelFolderTests
{
    public static TheoryData<string> ModelNames => new() { "unet2d", "mobile-unet", "mlp" };

    private static object SmallConfig(string name) => name switch
    {
        "unet2d" => TestConfigs.SmallUNet(numClassEmbeds: 4),
        "mobile-unet" => TestConfigs.SmallMobile(numClassEmbeds: 4),
        "mlp" => TestConfigs.SmallMlp(numClassEmbeds: 4),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(ModelNames))]
    public void SavedFolderLoadsBackBitIdenticalWithTheSameConfig(string name)
    {
        Torch.ManualSeed(11);
        var dir = TempDir.Create();
        try
        {
            var config = SmallConfig(name);
            using var model = ModelRegistry.Create(name, config);
            ModelFolder.Save(dir, model, config, name);
            Assert.True(File.Exists(Path.Combine(dir, "config.json")));
            Assert.True(File.Exists(Path.Combine(dir, "diffusion_pytorch_model.safetensors")));
            var className = ModelRegistry.Get(name).ClassName;
            Assert.Equal(className, (string?)JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!["_class_name"]);

            var (loaded, loadedConfig) = ModelFolder.Load(dir);
            using var loadedModel = loaded;
            Assert.Equal(config, loadedConfig);
            Assert.IsType(model.GetType(), loaded);
            var want = model.StateDict();
            var got = loaded.StateDict();
            Assert.Equal(want.Keys.Order(), got.Keys.Order());
            foreach (var (key, t) in want) Assert.True(t.Equal(got[key]), $"{key} differs after the round trip");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void MissingTensorIsRefusedWithItsNameAndTheFolder()
    {
        var dir = SavedSmallUNet();
        try
        {
            RewriteWeights(dir, sd =>
            {
                sd["conv_out.bias"].Dispose();
                sd.Remove("conv_out.bias");
                sd.Remove("down_blocks.1.attentions.0.to_q.weight", out var t);
                t!.Dispose();
            });
            var ex = Assert.Throws<StateDictMismatchException>(() => ModelFolder.Load(dir));
            Assert.Contains("conv_out.bias", ex.Message);
            Assert.Contains("down_blocks.1.attentions.0.to_q.weight", ex.Message);
            Assert.Contains(dir, ex.Message);
            Assert.Equal(2, ex.Result.Missing.Count);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void MisshapenTensorIsRefusedWithItsNameAndShapes()
    {
        var dir = SavedSmallUNet();
        try
        {
            RewriteWeights(dir, sd =>
            {
                sd["conv_in.weight"].Dispose();
                sd["conv_in.weight"] = DisposeScope.Detach(Torch.Zeros(16, 3, 5, 5));
            });
            var ex = Assert.Throws<StateDictMismatchException>(() => ModelFolder.Load(dir));
            Assert.Contains("conv_in.weight: expected [16, 3, 3, 3], got [16, 3, 5, 5]", ex.Message);
            Assert.Contains(dir, ex.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void UnknownClassNameAndMissingFilesAreClearErrors()
    {
        var dir = SavedSmallUNet();
        try
        {
            var configPath = Path.Combine(dir, "config.json");
            File.WriteAllText(configPath, File.ReadAllText(configPath).Replace("\"UNet2DModel\"", "\"UNet2DConditionModel\""));
            var ex = Assert.Throws<ModelConfigException>(() => ModelFolder.Load(dir));
            Assert.Contains("UNet2DConditionModel", ex.Message);
            Assert.Contains("UNet2DModel (unet2d)", ex.Message);

            File.Delete(Path.Combine(dir, "diffusion_pytorch_model.safetensors"));
            ex = Assert.Throws<ModelConfigException>(() => ModelFolder.Load(dir));
            Assert.Contains("diffusion_pytorch_model.safetensors is missing", ex.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static string SavedSmallUNet()
    {
        var dir = TempDir.Create();
        var config = TestConfigs.SmallUNet();
        using var model = ModelRegistry.Create("unet2d", config);
        ModelFolder.Save(dir, model, config, "unet2d");
        return dir;
    }

    private static void RewriteWeights(string dir, Action<Dictionary<string, Tensor>> edit)
    {
        var path = Path.Combine(dir, ModelFolder.WeightsFile);
        var sd = StateDictFile.Load(path);
        try
        {
            edit(sd);
            StateDictFile.Save(path, sd);
        }
        finally
        {
            StateDictFile.DisposeAll(sd);
        }
    }
}
