namespace DistillDiff.Training.Evaluation;

/// <summary>What `distilldiff eval` measures: model folders at step counts with one sampler, against a fixed
/// reference set of <see cref="NumSamples"/> data samples, with as many generated samples.</summary>
public sealed record ModelEvalOptions
{
    public required IReadOnlyList<string> Folders { get; init; }
    public int[] Steps { get; init; } = [1, 2, 4, 8];
    /// <summary>A SamplerRegistry name for every model; null: each model's own (distilldiff.json's sampler, else "pd").</summary>
    public string? Sampler { get; init; }
    /// <summary>Output folder; null = &lt;run&gt;/eval when the first folder is &lt;run&gt;/models/&lt;name&gt;.</summary>
    public string? Out { get; init; }
    public int NumSamples { get; init; } = 2000;
    public ulong Seed { get; init; } = 1234;
    public string Device { get; init; } = "auto";
    /// <summary>--cuda-graphs: auto (graphs on a CUDA device, else eager), on, off, static (SamplingPaths).</summary>
    public string CudaGraphs { get; init; } = "auto";
    /// <summary>Teacher folder for teacher agreement (PSNR, feature distance), sampled with <see cref="TeacherSteps"/>.</summary>
    public string? Teacher { get; init; }
    public int TeacherSteps { get; init; } = 64;
    /// <summary>Recipe whose `data:` section gives 2-D reference data (default: the run's config.yaml).</summary>
    public string? DataRecipe { get; init; }
    /// <summary>Batch sizes timed for speed (ms per sample, samples/s); empty skips timing.</summary>
    public int[] SpeedBatches { get; init; } = [1, 64];
    public int SpeedRepeats { get; init; } = 3;
    public int GridSamples { get; init; } = 64;
    /// <summary>
    /// Loads each of <see cref="Folders"/>; null (or a null result) loads a model folder in libtorch. The command line
    /// passes the deployment project's loader, which also takes quantize's *.quant.json (the folder fake-quantized)
    /// and exported *.onnx models (run in ONNX Runtime).
    /// </summary>
    public Func<string, Engine.Device, IEvalModel?>? Loader { get; init; }
}
