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
    private readonly ITestOutputHelper _out;

    public QuantizedExportTests(ITestOutputHelper output) => _out = output;

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

    public static TheoryData<string, string> FakeQuantCases => new()
    {
        { "mobile-unet", "W8A8 (mse/mse, split)" },
        { "mobile-unet", "W4A8 (minmax/minmax)" },
        { "mobile-unet", "W8A8 (minmax/minmax)" },
        { "mobile-unet", "W4A8 (mse/mse, split)" },
        { "unet2d", "W4A8 (mse/mse, split)" },
        { "unet2d", "W8A8 (minmax/minmax)" },
        { "mlp", "W4A8 (mse/mse, split)" },
    };

    /// <summary>
    /// The libtorch model with activation fake quantization (hooks at the graph's Q/DQ sites) against the same QDQ
    /// graph in ORT, run as float ops (the simulation) and with int8 kernels, on one batch at three timesteps.
    /// </summary>
    [Theory]
    [MemberData(nameof(FakeQuantCases))]
    public void LibtorchActivationFakeQuantMatchesTheQdqGraphInOrt(string modelType, string variant)
    {
        var config = variant.StartsWith("W8", StringComparison.Ordinal) ? (variant.Contains("split") ? new QuantConfig(8, 8) : QuantConfig.Naive(8, 8))
            : variant.Contains("split") ? new QuantConfig(4, 8) : QuantConfig.Naive(4, 8);
        Assert.Equal(variant, config.Label);
        var (folder, shape) = modelType switch
        {
            "mobile-unet" => (_folders.Create("m", modelType, TestNetworks.SmallMobile(), "v", "cosine_logsnr", 2), new long[] { 1, 7, 7 }),
            "unet2d" => (_folders.Create("u", modelType, TestNetworks.SmallUNet(), "epsilon", "linear", 2), new long[] { 2, 8, 8 }),
            _ => (_folders.Create("p", modelType, TestNetworks.SmallMlp(), "v", "cosine_logsnr", 2), new long[] { 2 }),
        };
        using var student = StudentFolder.Load(folder);
        var (bytes, policy) = QuantizeJob.Build(student.Model, student.Spec(2), config, 16, 1);
        using var fqFolder = StudentFolder.Load(folder);
        using var hooks = FakeQuantModel.Apply(fqFolder.Model, policy);
        using var simulated = new OrtNetwork(bytes, optimize: false);
        using var int8 = new OrtNetwork(bytes, optimize: true);
        using var scope = Torch.NewDisposeScope();
        using var noGrad = Torch.NoGrad();
        Torch.ManualSeed(6);
        const int n = 6;
        long[] xShape = [n, .. shape];
        var x = Torch.Randn(xShape);
        float[] ts = [999, 999, 499, 499, 10.5f, 10.5f];
        long[] labels = [0, 1, 2, 3, 1, 0];
        Tensor L(long[] v) => Torch.FromArray(v, n);
        var torchFq = fqFolder.Model.Forward(x, Torch.FromArray(ts, n), L(labels)).ToArray<float>();
        var torchFp = student.Model.Forward(x, Torch.FromArray(ts, n), L(labels)).ToArray<float>();
        var sim = simulated.Run(x.ToArray<float>(), xShape, ts, labels);
        var kernels = int8.Run(x.ToArray<float>(), xShape, ts, labels);

        static double Mean(float[] a, float[] b) => a.Zip(b, (p, q) => (double)Math.Abs(p - q)).Average();
        static double Max(float[] a, float[] b) => a.Zip(b, (p, q) => (double)Math.Abs(p - q)).Max();
        static double Off(float[] a, float[] b) => a.Zip(b, (p, q) => Math.Abs(p - q) > 1e-5 * Math.Max(1, Math.Abs(q)) ? 1.0 : 0.0).Average();
        var quantError = Mean(torchFp, sim);
        _out.WriteLine($"{modelType} {variant}: |fq - sim| mean {Mean(torchFq, sim):E2} max {Max(torchFq, sim):E2} differing {Off(torchFq, sim):P2}; " +
            $"|fq - int8| mean {Mean(torchFq, kernels):E2} max {Max(torchFq, kernels):E2}; |sim - int8| mean {Mean(sim, kernels):E2}; " +
            $"|fp32 - sim| mean {quantError:E2} max {Max(torchFp, sim):E2}; output max {sim.Max(Math.Abs):F3}");
        Assert.True(quantError > 1e-3, "the quantization left the output unchanged: the comparison would be float vs float");
        // Every Q/DQ applies the same parameters with the same arithmetic (division, half-to-even rounding), so where
        // the float inputs of a quantizer agree its outputs agree exactly. The engines differ only in the summation
        // order inside convs and Gemms (and in ORT's graph rewrites), which now and then moves a value across a
        // rounding boundary: that element lands one level away and carries the difference on through the network.
        // So most outputs agree to float precision (measured: 84-100% on these nets), and the rest differ by a
        // fraction of what quantization changes (measured: at most 0.10 of it). A wrong parameter or a missing site
        // moves nearly every output (the weight-only control below: more than 95%).
        Assert.True(Off(torchFq, sim) < 0.3, $"libtorch fake-quant differs from the ORT simulation on {Off(torchFq, sim):P1} of the outputs");
        Assert.True(Mean(torchFq, sim) < 0.2 * quantError, $"libtorch fake-quant vs ORT simulation: mean {Mean(torchFq, sim):E2}, quantization error {quantError:E2}");
        // ORT's int8 kernels requantize with their own rounding (a float scale applied to int32 sums), so they sit
        // further from both; still well inside the quantization error.
        Assert.True(Mean(torchFq, kernels) < 0.5 * quantError, $"libtorch fake-quant vs ORT int8: mean {Mean(torchFq, kernels):E2}, quantization error {quantError:E2}");

        // Control: without the hooks (quantized weights, float activations) the criterion above fails.
        hooks.Dispose();
        var weightsOnly = fqFolder.Model.Forward(x, Torch.FromArray(ts, n), L(labels)).ToArray<float>();
        _out.WriteLine($"  weight-only control: differing {Off(weightsOnly, sim):P2}, mean {Mean(weightsOnly, sim):E2}");
        Assert.True(Off(weightsOnly, sim) > 0.95, $"the weight-only model agrees with the W*A8 graph on {1 - Off(weightsOnly, sim):P1} of the outputs");
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
