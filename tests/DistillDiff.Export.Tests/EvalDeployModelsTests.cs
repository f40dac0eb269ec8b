namespace DistillDiff.Export.Tests;

using DistillDiff.Engine;
using DistillDiff.Export.Evaluation;
using DistillDiff.Export.Quantization;
using DistillDiff.Models.Checkpoints;
using DistillDiff.Training.Evaluation;

/// <summary>
/// `distilldiff eval` on deployment artefacts (a 2-D run: no download, seconds): quantize's quant.json evaluates the
/// folder fake-quantized in libtorch, an exported or quantized .onnx runs in ONNX Runtime, all on the same noise.
/// </summary>
public sealed class EvalDeployModelsTests : IDisposable
{
    private readonly StudentFolders _folders = new();

    public void Dispose() => _folders.Dispose();

    private string Run()
    {
        var run = Path.Combine(_folders.Root, "run");
        Directory.CreateDirectory(Path.Combine(run, "models"));
        File.WriteAllText(Path.Combine(run, "config.yaml"), """
            data:
              type: toy2d
              kind: gaussian_mixture
              count: 2000
              seed: 0
            """);
        return _folders.Create(Path.Combine("run", "models", "student-2steps"), "mlp", TestNetworks.SmallMlp(null), "v", "cosine_logsnr", 2);
    }

    [Fact]
    public void QuantFilesAndOnnxModelsAreScoredOnTheSameNoiseAsTheFolder()
    {
        var folder = Run();
        ExportJob.Run(folder, "onnx", null, null);
        QuantizeJob.Run(folder, new QuantConfig(8, 8), null, null, calibration: 32, seed: 0);
        QuantizeJob.Run(folder, QuantConfig.Naive(4, 8), null, null, calibration: 32, seed: 0);
        var onnx = Path.Combine(folder, "onnx");
        Assert.True(File.Exists(Path.Combine(onnx, "model.w4a8.minmax.nosplit.quant.json")));
        var rows = ModelEval.Run(new ModelEvalOptions
        {
            Folders = [folder, Path.Combine(onnx, "model.onnx"), Path.Combine(onnx, "model.w8a8.onnx"), Path.Combine(onnx, "model.w8a8.quant.json"),
                Path.Combine(onnx, "model.w4a8.minmax.nosplit.quant.json")],
            Steps = [2],
            NumSamples = 300,
            Out = Path.Combine(_folders.Root, "eval"),
            SpeedBatches = [1, 64],
            SpeedRepeats = 1,
            Loader = DeployModels.Load,
        }, TextWriter.Null).ToDictionary(r => r.Model);

        Assert.Equal(["student-2steps", "student-2steps.fp32.ort", "student-2steps.w8a8.ort", "student-2steps.w8a8.fq", "student-2steps.w4a8.minmax.nosplit.fq"],
            rows.Keys);
        var fp32 = rows["student-2steps"].Metrics;
        // ORT's float network = libtorch's to ~1e-6 on the same noise: the metrics agree to four places.
        Assert.Equal(fp32["swd"], rows["student-2steps.fp32.ort"].Metrics["swd"], 4);
        Assert.Equal(fp32["energy"], rows["student-2steps.fp32.ort"].Metrics["energy"], 4);
        // The quantized ones are not the float model, and each has speed rows at batch 1 and 64.
        Assert.NotEqual(fp32["swd"], rows["student-2steps.w4a8.minmax.nosplit.fq"].Metrics["swd"]);
        Assert.NotEqual(fp32["swd"], rows["student-2steps.w8a8.fq"].Metrics["swd"]);
        Assert.All(rows.Values, r => Assert.True(r.Metrics["ms_per_sample_b1"] > 0 && r.Metrics["ms_per_sample_b64"] > 0, r.Model));
        // W8A8 fake-quantized in libtorch and the same graph with ORT's int8 kernels: rounding apart, not a model apart.
        var (fq, int8) = (rows["student-2steps.w8a8.fq"].Metrics["swd"], rows["student-2steps.w8a8.ort"].Metrics["swd"]);
        Assert.True(Math.Abs(fq - int8) < 0.1 * fp32["swd"], $"W8A8 swd: libtorch fake-quant {fq}, ORT int8 {int8}, fp32 {fp32["swd"]}");
    }

    [Fact]
    public void AQuantFileWhoseFolderChangedIsRefused()
    {
        var folder = Run();
        QuantizeJob.Run(folder, new QuantConfig(4, 8), null, null, calibration: 16, seed: 0);
        var quant = Path.Combine(folder, "onnx", "model.w4a8.quant.json");
        using (var m = DeployModels.Load(quant, Device.CPU)) Assert.Equal("student-2steps.w4a8.fq", m!.Name);

        // Other weights in the folder: the rebuilt graph is not the ONNX model quantize wrote.
        using (var other = TestNetworks.Create("mlp", TestNetworks.SmallMlp(null), seed: 9))
            ModelFolder.Save(folder, other, TestNetworks.SmallMlp(null), "mlp");
        var e = Assert.Throws<InvalidDataException>(() => DeployModels.Load(quant, Device.CPU));
        Assert.Contains(quant, e.Message);
        Assert.Contains("weights changed", e.Message);

        File.WriteAllText(quant, File.ReadAllText(quant).Replace("\"weight_bits\": 4", "\"weight_bits\": 3"));
        e = Assert.Throws<InvalidDataException>(() => DeployModels.Load(quant, Device.CPU));
        Assert.Contains("--weights 3", e.Message);
    }
}
