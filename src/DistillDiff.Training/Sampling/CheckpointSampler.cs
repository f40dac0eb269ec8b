namespace DistillDiff.Training.Sampling;

using DistillDiff.Engine;
using DistillDiff.Training.Evaluation;

/// <summary>
/// `distilldiff sample`: loads a published model folder and draws a picture of samples. Sampler "pd" is the
/// continuous-time DDIM a distilled student was trained for (t = i/N); any SamplerRegistry name (ddim, dpmpp_2m,
/// euler, ...) uses the folder's scheduler_config.json with that scheduler.
/// </summary>
public static class CheckpointSampler
{
    public static string Run(string folder, int steps, string sampler, string outPath, int count, ulong seed, string device, int? label)
    {
        var dev = Device.Parse(device);
        using var model = LoadedModel.Load(folder, dev);
        using var gen = new Generator(seed, dev);
        using var scope = Torch.NewDisposeScope();
        var labels = label is int l ? Torch.Full([count], l, DType.Int64, dev) : null;
        var samples = model.Sample(sampler, steps, count, labels, gen);
        SamplePicture.Save(samples, outPath);
        return $"{count} samples from {folder} in {steps} steps ({sampler}) -> {outPath}";
    }
}
