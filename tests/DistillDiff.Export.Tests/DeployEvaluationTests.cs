namespace DistillDiff.Export.Tests;

using DistillDiff.Export.Evaluation;

/// <summary>The deployment table end to end on a 2-D run folder (toy data: no download, seconds).</summary>
public sealed class DeployEvaluationTests : IDisposable
{
    private readonly StudentFolders _folders = new();

    public void Dispose() => _folders.Dispose();

    [Fact]
    public void EveryVariantIsScoredOnTheSameNoiseAsTheTrainingsEvaluation()
    {
        var run = Path.Combine(_folders.Root, "run");
        Directory.CreateDirectory(Path.Combine(run, "models"));
        File.WriteAllText(Path.Combine(run, "config.yaml"), """
            data:
              type: toy2d
              kind: gaussian_mixture
              count: 2000
              seed: 0
            model:
              type: mlp
              data_dim: 2
              hidden: 32
              blocks: 2
              time_embed_dim: 16
            diffusion:
              schedule: cosine_logsnr
              prediction: v
            eval:
              num_samples: 300
            """);
        var folder = _folders.Create(Path.Combine("run", "models", "student-2steps"), "mlp", TestNetworks.SmallMlp(null), "v", "cosine_logsnr", 2);
        var lines = new List<string>();
        var rows = DeployEvaluation.Run(folder, null, null, null, calibration: 32, seed: 0, repeats: 1, lines.Add);

        // fp32 libtorch and ORT, W8A8 twice as ORT int8 kernels, W8A8 and W4A8 (twice) fake-quantized in libtorch.
        Assert.Equal(7, rows.Count);
        Assert.Equal(7, lines.Count);
        var torch = rows.Single(r => r is { Variant: "fp32", Backend: "libtorch" });
        var ort = rows.Single(r => r is { Variant: "fp32", Backend: "ORT" });
        // Same generator, same draw order, same network to 1e-6: the metrics agree to the last printed digit.
        Assert.Equal(torch.Metrics["swd"], ort.Metrics["swd"], 4);
        Assert.Equal(torch.Metrics["energy"], ort.Metrics["energy"], 4);
        Assert.All(rows, r => Assert.True(r.Metrics["swd"] > 0 && double.IsFinite(r.Metrics["swd"]), $"{r.Variant} {r.Backend}"));
        // The int8 rows really ran int8 Gemm kernels; the quantized variants really changed the samples.
        Assert.All(rows.Where(r => r.Backend == "ORT int8 kernels"), r => Assert.Contains("QGemm", r.Kernels));
        Assert.Contains(rows, r => r.Variant.StartsWith("W4", StringComparison.Ordinal) && r.Metrics["swd"] != torch.Metrics["swd"]);
        Assert.All(rows, r => Assert.True(r.MsPerSampleBatch1 > 0 && r.MsPerSampleBatch64 > 0, $"{r.Variant} {r.Backend} has no latency"));
        Assert.Equal(3, rows.Count(r => r.Backend == "libtorch fake-quant"));

        var table = DeployEvaluation.Table(rows, "student-2steps");
        Assert.Equal(2 + 7, table.TrimEnd().Split('\n').Length);
    }

    [Fact]
    public void MissingRunConfigIsNamed()
    {
        var folder = _folders.Create("lonely", "mlp", TestNetworks.SmallMlp(null), "v", "cosine_logsnr", 2);
        var e = Assert.Throws<FileNotFoundException>(() => DeployEvaluation.Run(folder, null, null, null, 8, 0, 1, _ => { }));
        Assert.Contains("config.yaml", e.Message);
        Assert.Contains("--run-dir", e.Message);
    }
}
