namespace DistillDiff.Export.Tests;

using DistillDiff.Engine;
using DistillDiff.Export.Onnx;
using DistillDiff.Export.Runtime;
using DistillDiff.Models;
using Google.Protobuf;

/// <summary>Every network of the zoo, exported and run in ONNX Runtime, against the libtorch forward pass.</summary>
public class OnnxParityTests
{
    public static TheoryData<string, string> Networks => new()
    {
        { "unet2d", "small" },
        { "unet2d", "ddpm" },
        { "mobile-unet", "small" },
        { "mlp", "small" },
    };

    private static DenoiserBackbone Build(string name, string variant) => (name, variant) switch
    {
        ("unet2d", "small") => TestNetworks.Create(name, TestNetworks.SmallUNet()),
        ("unet2d", "ddpm") => TestNetworks.Create(name, TestNetworks.DdpmStyleUNet()),
        ("mobile-unet", _) => TestNetworks.Create(name, TestNetworks.SmallMobile()),
        ("mlp", _) => TestNetworks.Create(name, TestNetworks.SmallMlp()),
        _ => throw new ArgumentException(name),
    };

    private static long[] SampleShape(DenoiserBackbone model, long batch) => model switch
    {
        Models.Mlp.MlpDenoiser m => [batch, m.Config.DataDim],
        Models.Mobile.MobileUNet m => [batch, m.Config.InChannels, 7, 7],
        Models.UNet2D.UNet2DModel u => [batch, u.Config.InChannels, 8, 8],
        _ => throw new ArgumentException(model.GetType().Name),
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void OnnxRuntimeMatchesLibtorchWithin1e4AtEveryBatchSize(string name, string variant)
    {
        using var model = Build(name, variant);
        var bytes = OnnxExporter.Export(model).ToByteArray();
        using var ort = new OrtNetwork(bytes);
        Torch.ManualSeed(7);
        // One session, three batch sizes: the batch dimension is symbolic.
        foreach (var batch in new long[] { 1, 3, 5 })
        {
            using var scope = Torch.NewDisposeScope();
            using var noGrad = Torch.NoGrad();
            var shape = SampleShape(model, batch);
            var x = Torch.Randn(shape);
            // Network-scale timesteps across the whole range, non-integer ones included (t * 1000 - 1).
            var ts = Enumerable.Range(0, (int)batch).Select(i => (float)(999.0 * (i + 0.5) / batch - 0.25 * i)).ToArray();
            var labels = ort.TakesClassLabels ? Enumerable.Range(0, (int)batch).Select(i => (long)(i % 3)).ToArray() : null;
            var expected = model.Forward(x, Torch.FromArray(ts, batch), labels is null ? null : Torch.FromArray(labels, batch)).ToArray<float>();
            var actual = ort.Run(x.ToArray<float>(), shape, ts, labels);
            Assert.Equal(expected.Length, actual.Length);
            var maxDiff = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            var scale = expected.Max(Math.Abs);
            Assert.True(scale > 0.1, $"{name}/{variant}: outputs are too small ({scale}) for the comparison to mean anything");
            Assert.True(maxDiff < 1e-4, $"{name}/{variant} batch {batch}: max |ORT - libtorch| = {maxDiff:E2} (output scale {scale:F3})");
        }
    }

    [Fact]
    public void ModelDeclaresOpset17AndASymbolicBatch()
    {
        using var model = Build("mobile-unet", "small");
        var proto = OnnxExporter.Export(model);
        var reread = Onnx.Proto.ModelProto.Parser.ParseFrom(proto.ToByteArray());
        Assert.Equal(OnnxGraph.IrVersion, reread.IrVersion);
        Assert.Equal(17, reread.OpsetImport.Single(o => o.Domain == "").Version);
        Assert.Equal(["sample", "timestep", "class_labels"], reread.Graph.Input.Select(i => i.Name));
        foreach (var input in reread.Graph.Input) Assert.Equal("batch", input.Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal(OnnxExporter.OutputName, reread.Graph.Output.Single().Name);
        Assert.Equal("mobile-unet", reread.MetadataProps.Single(p => p.Key == "distilldiff.model").Value);
    }
}
