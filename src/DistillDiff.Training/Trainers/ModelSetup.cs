namespace DistillDiff.Training.Trainers;

using System.Text.Json;
using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Samplers;
using DistillDiff.Diffusion.Schedules;
using DistillDiff.Engine;
using DistillDiff.Models;
using DistillDiff.Models.Checkpoints;
using DistillDiff.Training.Config;

/// <summary>
/// Builds, loads and publishes the recipe's backbone. A published folder is a diffusers model folder (config.json +
/// diffusion_pytorch_model.safetensors) plus scheduler_config.json (a trailing-spacing DDIM for the model's
/// parameterisation) and distilldiff.json (schedule, prediction, and for students their step count), so
/// `distilldiff sample` and PyTorch/diffusers can both use it.
/// </summary>
public static class ModelSetup
{
    public const string InfoFile = "distilldiff.json";

    public static DenoiserBackbone Create(JobConfig job) => ModelRegistry.Create(job.ModelType, job.Model);

    /// <summary>Loads a model folder onto a device, checking it fits the recipe's data and parameterisation.</summary>
    public static DenoiserBackbone Load(string dir, Device device, JobConfig job)
    {
        var (model, _) = ModelFolder.Load(dir, device);
        var probe = Create(job);
        try
        {
            if (model.SampleChannels != probe.SampleChannels || model.OutChannels != probe.OutChannels)
                throw new InvalidDataException(
                    $"{dir}: the model takes {model.SampleChannels} channels and outputs {model.OutChannels}, but the recipe's " +
                    $"model takes {probe.SampleChannels} and outputs {probe.OutChannels}");
        }
        catch
        {
            model.Dispose();
            throw;
        }
        finally
        {
            probe.Dispose();
        }
        return model;
    }

    /// <summary>Writes the folder under a temporary name and renames it, replacing an older one. <paramref name="sampler"/>
    /// is the SamplerRegistry name the model was trained to be sampled with (few_step for adversarial students), which
    /// `sample` and `eval` use when no --sampler is given.</summary>
    public static void SaveFolder(string dir, DenoiserBackbone model, JobConfig job, int? steps = null, string sampler = "pd")
    {
        var tmp = dir + ".tmp";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        ModelFolder.Save(tmp, model, job.Model, job.ModelType);
        var prediction = job.Diffusion.ParsePrediction();
        PublishedSchedulerConfig.Write(Path.Combine(tmp, "scheduler_config.json"), new NoiseScheduleConfig(job.Diffusion.Schedule,
            job.Diffusion.NumTrainTimesteps, job.Diffusion.BetaStart, job.Diffusion.BetaEnd, job.Diffusion.RescaleZeroTerminalSnr), prediction);
        var info = new Dictionary<string, object?>
        {
            ["prediction"] = PredictionNames.ToName(prediction),
            ["schedule"] = job.Diffusion.Schedule,
            ["num_train_timesteps"] = job.Diffusion.NumTrainTimesteps,
            ["beta_start"] = job.Diffusion.BetaStart,
            ["beta_end"] = job.Diffusion.BetaEnd,
            ["rescale_zero_terminal_snr"] = job.Diffusion.RescaleZeroTerminalSnr,
            ["sampling_steps"] = steps,
            ["sampler"] = sampler,
            ["model_type"] = job.ModelType,
        };
        File.WriteAllText(Path.Combine(tmp, InfoFile), JsonSerializer.Serialize(info, new JsonSerializerOptions { WriteIndented = true }));
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        Directory.Move(tmp, dir);
    }
}
