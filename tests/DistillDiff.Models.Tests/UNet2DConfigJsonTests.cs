namespace DistillDiff.Models.Tests;

using System.Text.Json.Nodes;
using DistillDiff.Models.Checkpoints;
using DistillDiff.Models.UNet2D;

public class UNet2DConfigJsonTests
{
    // The google/ddpm-cifar10-32 config as diffusers writes it (sorted keys), plus a tool's "_name_or_path".
    private const string DdpmConfigJson = """
        {
          "_class_name": "UNet2DModel",
          "_diffusers_version": "0.0.4",
          "_name_or_path": "google/ddpm-cifar10-32",
          "act_fn": "silu",
          "attention_head_dim": null,
          "block_out_channels": [128, 256, 256, 256],
          "center_input_sample": false,
          "down_block_types": ["DownBlock2D", "AttnDownBlock2D", "DownBlock2D", "DownBlock2D"],
          "downsample_padding": 0,
          "flip_sin_to_cos": false,
          "freq_shift": 1,
          "in_channels": 3,
          "layers_per_block": 2,
          "mid_block_scale_factor": 1,
          "norm_eps": 1e-06,
          "norm_num_groups": 32,
          "out_channels": 3,
          "sample_size": 32,
          "time_embedding_type": "positional",
          "up_block_types": ["UpBlock2D", "UpBlock2D", "AttnUpBlock2D", "UpBlock2D"]
        }
        """;

    [Fact]
    public void ReadsTheDdpmCifar10Config()
    {
        var config = (UNet2DConfig)ModelConfigJson.Parse(DdpmConfigJson, typeof(UNet2DConfig));
        Assert.Equal(UNet2DConfig.DdpmCifar10, config);
        Assert.Null(config.AttentionHeadDim);
        Assert.Equal(1e-6, config.NormEps);
    }

    [Fact]
    public void MissingKeysTakeDiffusersDefaults()
    {
        var c = (UNet2DConfig)ModelConfigJson.Parse("""{"_class_name": "UNet2DModel"}""", typeof(UNet2DConfig));
        Assert.Equal(new UNet2DConfig(), c);
        Assert.Null(c.SampleSize);
        Assert.Equal((3, 3), (c.InChannels, c.OutChannels));
        Assert.False(c.CenterInputSample);
        Assert.Equal("positional", c.TimeEmbeddingType);
        Assert.Equal(0, c.FreqShift);
        Assert.True(c.FlipSinToCos);
        Assert.Equal(["DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"], c.DownBlockTypes);
        Assert.Equal(["AttnUpBlock2D", "AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"], c.UpBlockTypes);
        Assert.Equal([224, 448, 672, 896], c.BlockOutChannels);
        Assert.Equal(2, c.LayersPerBlock);
        Assert.Equal(1.0, c.MidBlockScaleFactor);
        Assert.Equal(1, c.DownsamplePadding);
        Assert.Equal(0.0, c.Dropout);
        Assert.Equal("silu", c.ActFn);
        Assert.Equal(8, c.AttentionHeadDim);
        Assert.Equal(32, c.NormNumGroups);
        Assert.Equal(1e-5, c.NormEps);
        Assert.Equal("default", c.ResnetTimeScaleShift);
        Assert.True(c.AddAttention);
        Assert.Null(c.ClassEmbedType);
        Assert.Null(c.NumClassEmbeds);
    }

    [Fact]
    public void WritesSortedSnakeCaseKeysWithClassNameAndReadsBack()
    {
        var text = ModelConfigJson.ToJson(UNet2DConfig.DdpmCifar10, "UNet2DModel");
        var obj = JsonNode.Parse(text)!.AsObject();
        var keys = obj.Select(kv => kv.Key).ToList();
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
        Assert.Equal(["_class_name", "_diffusers_version"], keys.Take(2));
        Assert.Equal("UNet2DModel", (string?)obj["_class_name"]);
        var expectedKeys = new[]
        {
            "sample_size", "in_channels", "out_channels", "center_input_sample", "time_embedding_type", "freq_shift",
            "flip_sin_to_cos", "down_block_types", "up_block_types", "block_out_channels", "layers_per_block",
            "mid_block_scale_factor", "downsample_padding", "dropout", "act_fn", "attention_head_dim", "norm_num_groups",
            "norm_eps", "resnet_time_scale_shift", "add_attention", "class_embed_type", "num_class_embeds",
        };
        Assert.Equal(expectedKeys.Order(StringComparer.Ordinal), keys.Skip(2));
        Assert.Null(obj["attention_head_dim"]);
        Assert.Equal(UNet2DConfig.DdpmCifar10, ModelConfigJson.Parse(text, typeof(UNet2DConfig)));
    }

    [Fact]
    public void WrongTypeNamesTheKeyAndTheFile()
    {
        var json = DdpmConfigJson.Replace("\"layers_per_block\": 2", "\"layers_per_block\": \"two\"");
        var ex = Assert.Throws<ModelConfigException>(() => ModelConfigJson.Parse(json, typeof(UNet2DConfig), "/ckpt/unet/config.json"));
        Assert.Equal("layers_per_block", ex.Key);
        Assert.Contains("/ckpt/unet/config.json", ex.Message);
        Assert.Contains("layers_per_block", ex.Message);
        Assert.Contains("expected an integer", ex.Message);
        Assert.Contains("\"two\"", ex.Message);
    }

    [Fact]
    public void WrongListElementAndNullForNonNullableAreReported()
    {
        var list = DdpmConfigJson.Replace("[128, 256, 256, 256]", "[128, \"x\", 256, 256]");
        var ex = Assert.Throws<ModelConfigException>(() => ModelConfigJson.Parse(list, typeof(UNet2DConfig), "a.json"));
        Assert.Equal("block_out_channels", ex.Key);
        Assert.Contains("a list of integers", ex.Message);

        var nulled = DdpmConfigJson.Replace("\"in_channels\": 3", "\"in_channels\": null");
        ex = Assert.Throws<ModelConfigException>(() => ModelConfigJson.Parse(nulled, typeof(UNet2DConfig), "b.json"));
        Assert.Equal("in_channels", ex.Key);
        Assert.Contains("b.json", ex.Message);
    }

    [Fact]
    public void UnknownKeysAreIgnoredButNewerKeysMustMatchWhatIsImplemented()
    {
        var extra = DdpmConfigJson.Replace("\"act_fn\"", "\"some_future_key\": [1, 2], \"downsample_type\": \"conv\", \"time_embedding_dim\": null, \"act_fn\"");
        Assert.Equal(UNet2DConfig.DdpmCifar10, ModelConfigJson.Parse(extra, typeof(UNet2DConfig)));

        var resnetDown = DdpmConfigJson.Replace("\"act_fn\"", "\"downsample_type\": \"resnet\", \"act_fn\"");
        var ex = Assert.Throws<ModelConfigException>(() => ModelConfigJson.Parse(resnetDown, typeof(UNet2DConfig), "c.json"));
        Assert.Contains("downsample_type", ex.Message);
        Assert.Contains("c.json", ex.Message);
    }

    [Fact]
    public void InconsistentConfigIsRejectedWithTheKey()
    {
        var json = DdpmConfigJson.Replace("\"up_block_types\": [\"UpBlock2D\", ", "\"up_block_types\": [");
        var ex = Assert.Throws<ModelConfigException>(() => ModelConfigJson.Parse(json, typeof(UNet2DConfig), "d.json"));
        Assert.Contains("up_block_types", ex.Message);

        var fourier = DdpmConfigJson.Replace("\"positional\"", "\"fourier\"");
        ex = Assert.Throws<ModelConfigException>(() => ModelConfigJson.Parse(fourier, typeof(UNet2DConfig), "e.json"));
        Assert.Contains("time_embedding_type", ex.Message);
    }

    [Fact]
    public void HeadDimIsOnlyCheckedWhereThereIsAttention()
    {
        var ok = TestConfigs.SmallUNet() with { AttentionHeadDim = 32 }; // level 0 (16 channels) has no attention
        ok.Validate();
        var ex = Assert.Throws<ArgumentException>(() => (ok with { AttentionHeadDim = 64 }).Validate());
        Assert.Contains("attention_head_dim", ex.Message);
    }

    [Fact]
    public void ConfigsCompareByValue()
    {
        Assert.Equal(UNet2DConfig.DdpmCifar10, UNet2DConfig.DdpmCifar10);
        Assert.Equal(UNet2DConfig.DdpmCifar10.GetHashCode(), UNet2DConfig.DdpmCifar10.GetHashCode());
        Assert.NotEqual(UNet2DConfig.DdpmCifar10, UNet2DConfig.DdpmCifar10 with { BlockOutChannels = [128, 256, 256, 512] });
    }
}
