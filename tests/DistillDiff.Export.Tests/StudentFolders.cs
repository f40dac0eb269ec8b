namespace DistillDiff.Export.Tests;

using System.Text.Json;
using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Samplers;
using DistillDiff.Diffusion.Schedules;
using DistillDiff.Engine;
using DistillDiff.Models;
using DistillDiff.Models.Checkpoints;
using DistillDiff.Training.Trainers;

/// <summary>Model folders laid out as training publishes them (config.json, weights, distilldiff.json), in a temp dir.</summary>
internal sealed class StudentFolders : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("dd-export-").FullName;

    public string Create(string name, string modelType, object config, string prediction, string schedule, int steps, bool zeroSnr = false)
    {
        var dir = Path.Combine(Root, name);
        using var model = TestNetworks.Create(modelType, config);
        ModelFolder.Save(dir, model, config, modelType);
        var info = new Dictionary<string, object?>
        {
            ["prediction"] = prediction,
            ["schedule"] = schedule,
            ["num_train_timesteps"] = 1000,
            ["beta_start"] = 1e-4,
            ["beta_end"] = 0.02,
            ["rescale_zero_terminal_snr"] = zeroSnr,
            ["sampling_steps"] = steps,
            ["model_type"] = modelType,
        };
        File.WriteAllText(Path.Combine(dir, ModelSetup.InfoFile), JsonSerializer.Serialize(info));
        // As ModelSetup.SaveFolder publishes it (diffusers' DDIMScheduler settings of this schedule, clip_sample off).
        PublishedSchedulerConfig.Write(Path.Combine(dir, "scheduler_config.json"),
            new NoiseScheduleConfig(schedule, 1000, 1e-4, 0.02, zeroSnr), PredictionNames.Parse(prediction));
        return dir;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, true);
        }
        catch (IOException)
        {
        }
    }
}
