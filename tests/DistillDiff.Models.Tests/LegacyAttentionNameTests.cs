namespace DistillDiff.Models.Tests;

using DistillDiff.Engine;
using DistillDiff.Engine.Serialization;
using DistillDiff.Models.Checkpoints;
using DistillDiff.Models.UNet2D;

/// <summary>Older diffusers files name the attention weights query/key/value/proj_attn.</summary>
public class LegacyAttentionNameTests
{
    private static Dictionary<string, Tensor> ToLegacyNames(Dictionary<string, Tensor> sd) =>
        sd.ToDictionary(
            kv => kv.Key.Replace(".to_q.", ".query.").Replace(".to_k.", ".key.").Replace(".to_v.", ".value.").Replace(".to_out.0.", ".proj_attn."),
            kv => kv.Value);

    [Fact]
    public void UpgradeRenamesOnlyAttentionWeights()
    {
        using var source = new UNet2DModel(TestConfigs.SmallUNet());
        var legacy = ToLegacyNames(source.StateDict());
        Assert.Contains("down_blocks.1.attentions.0.proj_attn.weight", legacy.Keys);
        Assert.Contains("mid_block.attentions.0.query.bias", legacy.Keys);
        var upgraded = UNet2DModel.UpgradeStateDict(legacy);
        Assert.Equal(source.StateDict().Keys.Order(), upgraded.Keys.Order());
    }

    [Fact]
    public void LegacyNamedFolderLoadsIntoTheCurrentNames()
    {
        Torch.ManualSeed(7);
        var dir = TempDir.Create();
        try
        {
            using var source = new UNet2DModel(TestConfigs.SmallUNet());
            StateDictFile.Save(Path.Combine(dir, ModelFolder.WeightsFile), ToLegacyNames(source.StateDict()));
            ModelConfigJson.Write(Path.Combine(dir, ModelFolder.ConfigFile), source.Config, "UNet2DModel");

            var (loaded, _) = ModelFolder.Load(dir);
            using var loadedModel = loaded;
            var want = source.StateDict();
            foreach (var (name, t) in loaded.StateDict()) Assert.True(t.Equal(want[name]), name);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
