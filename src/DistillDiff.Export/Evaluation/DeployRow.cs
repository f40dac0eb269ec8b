namespace DistillDiff.Export.Evaluation;

/// <summary>One row of the deployment table: a variant of the student, where it ran, its sample quality and latency.</summary>
/// <param name="Variant">fp32, W8A8, W4A8, W8A32, ... with the range method.</param>
/// <param name="Backend">libtorch, ORT (int8 kernels: graph optimizations on), libtorch fake-quant (quantize-dequantize at the QDQ graph's sites).</param>
/// <param name="Metrics">The evaluation suite's metrics (fd_pool7 / swd_pool7 for images, swd / energy for 2-D).</param>
/// <param name="MsPerSampleBatch1">Wall time of one whole N-step sample at batch 1, median of the repeats, in ms.</param>
/// <param name="MsPerSampleBatch64">Wall time of an N-step batch of 64 divided by 64, median, in ms.</param>
/// <param name="Kernels">For ORT rows: weight-layer kernels in the graph ORT runs, e.g. "QLinearConv 12, QGemm 4, Conv 0".</param>
public sealed record DeployRow(string Variant, string Backend, IReadOnlyDictionary<string, double> Metrics, double? MsPerSampleBatch1, double? MsPerSampleBatch64,
    string? Kernels = null);
