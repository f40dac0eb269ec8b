namespace DistillDiff.Training.Tests;

using System.Text.Json;
using DistillDiff.Engine;
using DistillDiff.Models;
using DistillDiff.Models.Checkpoints;
using DistillDiff.Models.Mlp;
using DistillDiff.Models.UNet2D;
using DistillDiff.Training.Trainers;

/// <summary>Untrained, seeded model folders in the published layout (weights, config.json, distilldiff.json), for
/// tests of the tools that read model folders; they sample noise-like outputs, but deterministically.</summary>
internal static class TestModels
{
    public static string Toy(string dir, string name, ulong seed = 1) =>
        Save(Path.Combine(dir, "models", name), new MlpDenoiserConfig { Hidden = 16, Blocks = 1, TimeEmbedDim = 8 }, "mlp", seed);

    public static string Image(string dir, string name, ulong seed = 1) =>
        Save(Path.Combine(dir, "models", name), new UNet2DConfig
        {
            SampleSize = 28,
            InChannels = 1,
            OutChannels = 1,
            BlockOutChannels = [8, 8],
            DownBlockTypes = ["DownBlock2D", "DownBlock2D"],
            UpBlockTypes = ["UpBlock2D", "UpBlock2D"],
            LayersPerBlock = 1,
            NormNumGroups = 4,
            AddAttention = false,
            NumClassEmbeds = 10,
        }, "unet2d", seed);

    private static string Save(string folder, object config, string type, ulong seed)
    {
        Torch.ManualSeed(seed);
        using var model = ModelRegistry.Create(type, config);
        ModelFolder.Save(folder, model, config, type);
        File.WriteAllText(Path.Combine(folder, ModelSetup.InfoFile), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["prediction"] = "v",
            ["schedule"] = "cosine_logsnr",
            ["num_train_timesteps"] = 1000,
            ["model_type"] = type,
        }));
        return folder;
    }
}
