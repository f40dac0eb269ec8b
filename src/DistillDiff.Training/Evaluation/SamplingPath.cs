namespace DistillDiff.Training.Evaluation;

using DistillDiff.Engine;

/// <summary>How a sampler's loop calls the network.</summary>
public enum SamplingPath
{
    /// <summary>A plain forward per step.</summary>
    Eager,

    /// <summary>The CUDA-graph path without the capture: inputs copied into static buffers, the same forward on them
    /// (runs anywhere; the CPU check that the graph path computes what the eager one does).</summary>
    StaticBuffers,

    /// <summary>One CUDA graph per batch shape, captured on first use and replayed every step.</summary>
    CudaGraph,
}

/// <summary>The `--cuda-graphs auto|on|off|static` option of `sample` and `eval`.</summary>
public static class SamplingPaths
{
    public const string Choices = "auto, on, off or static";

    /// <summary>
    /// auto: CUDA graphs where the device is CUDA and the native layer can capture them, else eager (every CPU run);
    /// on: CUDA graphs or an error saying why not; off: eager; static: the graph path's static buffers, no capture.
    /// </summary>
    public static SamplingPath Resolve(string option, Device device)
    {
        var graphs = device.IsCuda && Torch.Cuda.GraphsSupported;
        return option.Trim().ToLowerInvariant() switch
        {
            "auto" => graphs ? SamplingPath.CudaGraph : SamplingPath.Eager,
            "on" when graphs => SamplingPath.CudaGraph,
            "on" => throw new ArgumentException(
                $"--cuda-graphs on: CUDA graphs need a CUDA device and a native layer built against a CUDA libtorch, " +
                $"but the device is {device}{(device.IsCuda ? " and this native layer cannot capture" : "")} (use auto, which samples eagerly here)"),
            "off" => SamplingPath.Eager,
            "static" => SamplingPath.StaticBuffers,
            _ => throw new ArgumentException($"--cuda-graphs must be {Choices}, got '{option}'"),
        };
    }

    /// <summary>What logs and result files call the path: eager, static_buffers, cuda_graph.</summary>
    public static string Name(SamplingPath path) => path switch
    {
        SamplingPath.Eager => "eager",
        SamplingPath.StaticBuffers => "static_buffers",
        _ => "cuda_graph",
    };
}
