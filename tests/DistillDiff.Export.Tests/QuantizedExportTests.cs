namespace DistillDiff.Export.Tests;

using DistillDiff.Engine;
using DistillDiff.Export.Onnx.Proto;
using DistillDiff.Export.Quantization;
using DistillDiff.Export.Runtime;
using DistillDiff.Export.Sampling;

/// <summary>QDQ export: split shortcut sites, libtorch fake quantization against ORT, int8 kernels in ORT.</summary>
public sealed class QuantizedExportTests : IDisposable
{
    private readonly StudentFolders _folders = new();

    public void Dispose() => _folders.Dispose();

    private StudentFolder Mobile() =>
        StudentFolder.Load(_folders.Create("m", "mobile-unet", TestNetworks.SmallMobile(), "v", "cosine_logsnr", 2));

    [Fact]
    public void SplitShortcutGivesEachHalfOfTheSkipConcatItsOwnRange()
    {
        using var student = Mobile();
        var spec = student.Spec(2);
        var stats = Calibrator.Run(student.Model, spec, 8, 1);
        const string site = "up_blocks.0.resnets.0.conv_shortcut";
        Assert.True(stats.ContainsKey(site + ":in0") && stats.ContainsKey(site + ":in1") && stats.ContainsKey(site + ":in"));

        var (splitBytes, split) = QuantizeJob.Build(student.Model, spec, new QuantConfig(8, 8, RangeMethod.MinMax, RangeMethod.MinMax, SplitShortcut: true), 8, 1);
        var (_, joint) = QuantizeJob.Build(student.Model, spec, QuantConfig.Naive(8, 8), 8, 1);
        // Split: two sites, each with the range of its own half; joint: one site with the union of both.
        var p0 = split.UsedActivations[site + ":in0"];
        var p1 = split.UsedActivations[site + ":in1"];
        Assert.Equal(stats[site + ":in0"].Params(RangeMethod.MinMax), p0);
        Assert.Equal(stats[site + ":in1"].Params(RangeMethod.MinMax), p1);
        Assert.NotEqual(p0.Scale, p1.Scale);
        Assert.False(split.UsedActivations.ContainsKey(site + ":in"));
        var pj = joint.UsedActivations[site + ":in"];
        Assert.Equal(QuantParams.Uint8(Math.Min(stats[site + ":in0"].Min, stats[site + ":in1"].Min), Math.Max(stats[site + ":in0"].Max, stats[site + ":in1"].Max)), pj);
        Assert.True(pj.Scale >= Math.Max(p0.Scale, p1.Scale) * 0.999);

        // In the graph: two QuantizeLinear nodes of that site, each feeding its own 1 x 1 conv.
        var graph = ModelProto.Parser.ParseFrom(splitBytes).Graph;
        var quantizers = graph.Node.Where(n => n.OpType == "QuantizeLinear" && n.Name.StartsWith(site + ":in", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, quantizers.Count);
        Assert.NotEqual(quantizers[0].Input[1], quantizers[1].Input[1]);
    }

    [Fact]
    public void LibtorchWeightFakeQuantMatchesTheQdqGraphInOrt()
    {
        using var student = Mobile();
        var spec = student.Spec(2);
        foreach (var bits in new[] { 8, 4 })
        {
            var (bytes, policy) = QuantizeJob.Build(student.Model, spec, new QuantConfig(bits, null), 8, 1);
            using var fqFolder = StudentFolder.Load(student.Path);
            var fq = fqFolder.Model;
            FakeQuantModel.LoadQuantizedWeights(fq, policy);
            using var ort = new OrtNetwork(bytes, optimize: false);
            using var scope = Torch.NewDisposeScope();
            using var noGrad = Torch.NoGrad();
            Torch.ManualSeed(4);
            var x = Torch.Randn(3, 1, 7, 7);
            float[] ts = [999, 499, 10.5f];
            long[] labels = [0, 1, 2];
            var expected = fq.Forward(x, Torch.FromArray(ts, 3), Torch.FromArray(labels, 3)).ToArray<float>();
            var actual = ort.Run(x.ToArray<float>(), [3, 1, 7, 7], ts, labels);
            var maxDiff = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            Assert.True(maxDiff < 1e-4, $"W{bits}: libtorch fake-quant vs ORT QDQ: {maxDiff:E2}");
            // And the quantization did change the network (the comparison is not float vs float).
            var fp = student.Model.Forward(x, Torch.FromArray(ts, 3), Torch.FromArray(labels, 3)).ToArray<float>();
            Assert.True(fp.Zip(expected, (a, b) => Math.Abs(a - b)).Max() > 1e-3, $"W{bits} weights left the output unchanged");
        }
    }

    [Fact]
    public void OrtRunsTheW8A8GraphWithInt8KernelsCloseToItsSimulation()
    {
        using var student = Mobile();
        var spec = student.Spec(2);
        var (bytes, _) = QuantizeJob.Build(student.Model, spec, new QuantConfig(8, 8), 16, 1);
        var optimized = Path.Combine(_folders.Root, "optimized.onnx");
        using var int8 = new OrtNetwork(bytes, optimize: true, optimizedModelPath: optimized);
        using var simulated = new OrtNetwork(bytes, optimize: false);
        var ops = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimized)).Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(ops.GetValueOrDefault("QLinearConv") > 0, $"no QLinearConv in ORT's optimized graph: {string.Join(", ", ops.Select(kv => $"{kv.Key} {kv.Value}"))}");

        using var scope = Torch.NewDisposeScope();
        Torch.ManualSeed(5);
        var x = Torch.Randn(4, 1, 7, 7).ToArray<float>();
        float[] ts = [999, 999, 499, 499];
        long[] labels = [0, 1, 2, 3];
        var a = int8.Run(x, [4, 1, 7, 7], ts, labels);
        var b = simulated.Run(x, [4, 1, 7, 7], ts, labels);
        using var fp = new OrtNetwork(Google.Protobuf.MessageExtensions.ToByteArray(Onnx.OnnxExporter.Export(student.Model)));
        var f = fp.Run(x, [4, 1, 7, 7], ts, labels);
        var scale = f.Max(Math.Abs);
        var kernelGap = a.Zip(b, (p, q) => Math.Abs(p - q)).ToArray();
        var quantError = b.Zip(f, (p, q) => Math.Abs(p - q)).ToArray();
        // int8 kernels and the float simulation of the same graph differ by requantization rounding only: a conv
        // output one step from a rounding boundary lands one uint8 level apart, and that travels on through the net.
        Assert.True(kernelGap.Average() < 0.01 * scale && kernelGap.Max() < 0.15 * scale,
            $"int8 kernels vs simulation: mean {kernelGap.Average()}, max {kernelGap.Max()} (output scale {scale})");
        Assert.True(quantError.Average() < 0.05 * scale, $"W8A8 vs float: mean {quantError.Average()} (output scale {scale})");
        Assert.True(kernelGap.Average() < quantError.Average(), "the kernels should differ from their simulation less than quantization differs from float");
    }

    [Fact]
    public void QuantizeWritesAQdqModelAndASamplerJsonThatSampleTogether()
    {
        var folder = _folders.Create("q", "mobile-unet", TestNetworks.SmallMobile(), "v", "cosine_logsnr", 2);
        var message = QuantizeJob.Run(folder, new QuantConfig(4, 8), null, null, calibration: 8, seed: 0);
        Assert.Contains("W4A8", message);
        var spec = SamplerSpec.Load(Path.Combine(folder, "onnx", "model.w4a8.sampler.json"));
        Assert.Equal("model.w4a8.onnx", spec.Model);
        var bytes = File.ReadAllBytes(Path.Combine(folder, "onnx", spec.Model));
        Assert.Equal("W4A8 (mse/mse, split)", ModelProto.Parser.ParseFrom(bytes).MetadataProps.Single(p => p.Key == "distilldiff.quantization").Value);
        using var ort = new OrtNetwork(bytes);
        var x = JsonSampler.Sample(ort, spec, Enumerable.Range(0, 2 * 49).Select(i => MathF.Sin(i)).ToArray(), 2, [3, 4]);
        Assert.Equal(2 * 49, x.Length);
        Assert.All(x, v => Assert.True(float.IsFinite(v)));

        var e = Assert.Throws<ArgumentException>(() => QuantizeJob.Run(folder, new QuantConfig(3, 8), null, null, 8, 0));
        Assert.Contains("--weights 3", e.Message);
    }
}
