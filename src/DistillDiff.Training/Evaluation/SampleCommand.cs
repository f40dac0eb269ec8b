namespace DistillDiff.Training.Evaluation;

using DistillDiff.Engine;

/// <summary>
/// `distilldiff sample`: loads a published model folder and draws a picture of samples with any SamplerRegistry
/// name ("pd", the continuous-time DDIM progressive students are trained for; "few_step" for adversarial students;
/// ddim, dpmpp_2m, euler, ...), built from the folder's scheduler_config.json.
/// </summary>
public static class SampleCommand
{
    public static string Run(string folder, int steps, string? sampler, string outPath, int count, ulong seed, string device, int? label,
        string cudaGraphs = "auto")
    {
        var dev = Device.Parse(device);
        var path = SamplingPaths.Resolve(cudaGraphs, dev);
        using var model = LoadedModel.Load(folder, dev);
        model.SamplingPath = path;
        // Checked here, not by the embedding lookup deep inside the model ("index out of range in self").
        if (label is int wanted) model.CheckLabel(wanted);
        sampler ??= model.OwnSampler;
        using var gen = new Generator(seed, dev);
        using var scope = Torch.NewDisposeScope();
        var labels = label is int l ? Torch.Full([count], l, DType.Int64, dev) : null;
        var samples = model.Sample(sampler, steps, count, labels, gen);
        SamplePicture.Save(samples, outPath);
        return $"{count} samples from {folder} in {steps} steps ({sampler}, {SamplingPaths.Name(path)} on {dev}) -> {outPath}";
    }
}
