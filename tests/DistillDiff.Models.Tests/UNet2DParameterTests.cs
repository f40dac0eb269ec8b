namespace DistillDiff.Models.Tests;

using System.Text.RegularExpressions;
using DistillDiff.Models.UNet2D;

/// <summary>The google/ddpm-cifar10-32 network must have diffusers' exact parameter names, shapes and counts.</summary>
public class UNet2DParameterTests
{
    private const string Layer = @"(weight|bias)";
    private const string Resnet = @"resnets\.\d+\.(norm1|conv1|time_emb_proj|norm2|conv2|conv_shortcut)\." + Layer;
    private const string Attention = @"attentions\.\d+\.(group_norm|to_q|to_k|to_v|to_out\.0)\." + Layer;

    private static readonly Regex DiffusersName = new(
        "^(" + string.Join("|",
            @"(conv_in|conv_norm_out|conv_out)\." + Layer,
            @"time_embedding\.linear_[12]\." + Layer,
            @"down_blocks\.[0-3]\.(" + Resnet + "|" + Attention + @"|downsamplers\.0\.conv\." + Layer + ")",
            @"mid_block\.(" + Resnet + "|" + Attention + ")",
            @"up_blocks\.[0-3]\.(" + Resnet + "|" + Attention + @"|upsamplers\.0\.conv\." + Layer + ")") + ")$",
        RegexOptions.Compiled);

    [Fact]
    public void DdpmCifar10HasDiffusersParameterCountAndTensorCount()
    {
        using var model = new UNet2DModel(UNet2DConfig.DdpmCifar10);
        var parameters = model.NamedParameters().ToList();
        Assert.Equal(328, parameters.Count);
        Assert.Equal(35_746_307, model.NumParameters());
        Assert.Equal(328, model.StateDict().Count); // no buffers
    }

    [Fact]
    public void DdpmCifar10NamesAllFollowDiffusersPattern()
    {
        using var model = new UNet2DModel(UNet2DConfig.DdpmCifar10);
        var names = model.StateDict().Keys.ToList();
        var bad = names.Where(n => !DiffusersName.IsMatch(n)).ToList();
        Assert.True(bad.Count == 0, "names outside diffusers' pattern: " + string.Join(", ", bad));

        // Attention only where the config puts it: down level 1 (2 blocks), the middle (1), up level 2 (3 blocks).
        Assert.Equal(20, names.Count(n => n.StartsWith("down_blocks.1.attentions.", StringComparison.Ordinal)));
        Assert.Equal(10, names.Count(n => n.StartsWith("mid_block.attentions.0.", StringComparison.Ordinal)));
        Assert.Equal(30, names.Count(n => n.StartsWith("up_blocks.2.attentions.", StringComparison.Ordinal)));
        Assert.Equal(60, names.Count(n => n.Contains(".attentions.", StringComparison.Ordinal)));
        Assert.DoesNotContain(names, n => n.StartsWith("down_blocks.3.downsamplers", StringComparison.Ordinal));
        Assert.DoesNotContain(names, n => n.StartsWith("up_blocks.3.upsamplers", StringComparison.Ordinal));
        Assert.Equal(3, names.Count(n => n.StartsWith("up_blocks.0.resnets.", StringComparison.Ordinal) && n.EndsWith("conv1.weight", StringComparison.Ordinal)));
    }

    private static readonly (string Name, long[] Shape)[] ExpectedShapes =
    [
        ("conv_in.weight", [128, 3, 3, 3]),
        ("conv_in.bias", [128]),
        ("time_embedding.linear_1.weight", [512, 128]),
        ("time_embedding.linear_1.bias", [512]),
        ("time_embedding.linear_2.weight", [512, 512]),
        ("down_blocks.0.resnets.0.norm1.weight", [128]),
        ("down_blocks.0.resnets.0.conv1.weight", [128, 128, 3, 3]),
        ("down_blocks.0.resnets.0.time_emb_proj.weight", [128, 512]),
        ("down_blocks.0.resnets.1.norm2.bias", [128]),
        ("down_blocks.0.downsamplers.0.conv.weight", [128, 128, 3, 3]),
        ("down_blocks.1.resnets.0.conv1.weight", [256, 128, 3, 3]),
        ("down_blocks.1.resnets.0.conv_shortcut.weight", [256, 128, 1, 1]),
        ("down_blocks.1.attentions.0.group_norm.weight", [256]),
        ("down_blocks.1.attentions.0.to_q.weight", [256, 256]),
        ("down_blocks.1.attentions.0.to_k.bias", [256]),
        ("down_blocks.1.attentions.1.to_v.weight", [256, 256]),
        ("down_blocks.1.attentions.1.to_out.0.weight", [256, 256]),
        ("down_blocks.2.downsamplers.0.conv.bias", [256]),
        ("down_blocks.3.resnets.1.conv2.weight", [256, 256, 3, 3]),
        ("mid_block.resnets.0.conv1.weight", [256, 256, 3, 3]),
        ("mid_block.attentions.0.group_norm.bias", [256]),
        ("mid_block.attentions.0.to_q.weight", [256, 256]),
        ("mid_block.attentions.0.to_out.0.bias", [256]),
        ("mid_block.resnets.1.time_emb_proj.weight", [256, 512]),
        ("up_blocks.0.resnets.0.conv1.weight", [256, 512, 3, 3]),
        ("up_blocks.0.resnets.2.conv_shortcut.weight", [256, 512, 1, 1]),
        ("up_blocks.0.upsamplers.0.conv.weight", [256, 256, 3, 3]),
        ("up_blocks.2.resnets.2.conv1.weight", [256, 384, 3, 3]),
        ("up_blocks.2.attentions.0.group_norm.weight", [256]),
        ("up_blocks.2.attentions.2.to_q.weight", [256, 256]),
        ("up_blocks.2.attentions.2.to_out.0.weight", [256, 256]),
        ("up_blocks.2.attentions.2.to_out.0.bias", [256]),
        ("up_blocks.3.resnets.0.conv1.weight", [128, 384, 3, 3]),
        ("up_blocks.3.resnets.2.conv_shortcut.weight", [128, 256, 1, 1]),
        ("conv_norm_out.weight", [128]),
        ("conv_out.weight", [3, 128, 3, 3]),
        ("conv_out.bias", [3]),
    ];

    [Fact]
    public void DdpmCifar10SpotCheckedNamesHaveDiffusersShapes()
    {
        using var model = new UNet2DModel(UNet2DConfig.DdpmCifar10);
        var sd = model.StateDict();
        foreach (var (name, shape) in ExpectedShapes)
        {
            Assert.True(sd.ContainsKey(name), $"missing {name}");
            Assert.Equal(shape, sd[name].Shape);
        }
    }
}
