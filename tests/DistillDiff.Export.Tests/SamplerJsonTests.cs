namespace DistillDiff.Export.Tests;

using DistillDiff.Engine;
using DistillDiff.Export.Runtime;
using DistillDiff.Export.Sampling;
using DistillDiff.Training.Evaluation;

/// <summary>Sampling through ONNX Runtime driven by sampler.json against DistillDiff's own N-step sampler.</summary>
public sealed class SamplerJsonTests : IDisposable
{
    private readonly StudentFolders _folders = new();

    public void Dispose() => _folders.Dispose();

    public static TheoryData<string, string, int> Cases => new()
    {
        { "mobile-unet", "v", 2 },
        { "unet2d", "both", 1 },
        { "mlp", "epsilon", 4 },
    };

    private string Folder(string type, string prediction, int steps) => type switch
    {
        "mobile-unet" => _folders.Create("m", type, TestNetworks.SmallMobile(), prediction, "cosine_logsnr", steps, zeroSnr: false),
        "unet2d" => _folders.Create("u", type, TestNetworks.SmallUNet(null) with { OutChannels = 4 }, prediction, "linear", steps),
        _ => _folders.Create("l", type, TestNetworks.SmallMlp(null), prediction, "squaredcos_cap_v2", steps),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void OrtDrivenBySamplerJsonReproducesThePdSampler(string type, string prediction, int steps)
    {
        var folder = Folder(type, prediction, steps);
        var message = ExportJob.Run(folder, "onnx", null, null);
        Assert.Contains($"{steps} steps", message);
        var dir = Path.Combine(folder, "onnx");
        var spec = SamplerSpec.Load(Path.Combine(dir, ExportJob.SamplerFile));
        Assert.Equal(steps, spec.NumSteps);
        Assert.Equal(prediction, spec.Prediction);

        using var student = StudentFolder.Load(folder);
        using var ort = new OrtNetwork(File.ReadAllBytes(Path.Combine(dir, spec.Model)));
        const int batch = 6;
        long[] shape = [batch, .. spec.SampleShape];
        var labels = spec.ClassConditional ? Enumerable.Range(0, batch).Select(i => (long)(i % spec.NumClasses!.Value)).ToArray() : null;

        using var scope = Torch.NewDisposeScope();
        // The pd sampler draws its starting noise first from the generator: the same seed gives the app the same z.
        using var gen = new Generator(5);
        var expected = student.SamplePd(steps, batch, labels is null ? null : Torch.FromArray(labels, batch), gen).ToArray<float>();
        using var gen2 = new Generator(5);
        var noise = Torch.Randn(shape, gen2).ToArray<float>();
        var actual = JsonSampler.Sample(ort, spec, noise, batch, labels);

        var maxDiff = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        var scale = expected.Max(Math.Abs);
        Assert.True(scale > 0.05, "samples are too small for the comparison to mean anything");
        // Relative to the samples' scale once it exceeds 1: an untrained epsilon network's x0 = (z - sigma eps) / alpha
        // reaches ~1/alpha(1) ~ 150 at the first step, where float32 differences grow with it.
        Assert.True(maxDiff < 1e-4 * Math.Max(1, scale),
            $"{type}/{prediction}/{steps} steps: max |ORT sampler - pd sampler| = {maxDiff:E2} (sample scale {scale:F3})");
    }

    [Fact]
    public void SamePictureAsDistilldiffSample()
    {
        var folder = Folder("mobile-unet", "v", 2);
        ExportJob.Run(folder, "onnx", 2, Path.Combine(_folders.Root, "out"));
        var reference = Path.Combine(_folders.Root, "sample.png");
        // What `distilldiff sample <folder> --steps 2 --count 9 --seed 3 --label 1 --out ...` does.
        SampleCommand.Run(folder, 2, "pd", reference, 9, 3, "cpu", 1);

        var spec = SamplerSpec.Load(Path.Combine(_folders.Root, "out", ExportJob.SamplerFile));
        using var ort = new OrtNetwork(File.ReadAllBytes(Path.Combine(_folders.Root, "out", spec.Model)));
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(3);
        long[] shape = [9, .. spec.SampleShape];
        var x = JsonSampler.Sample(ort, spec, Torch.Randn(shape, gen).ToArray<float>(), 9, Enumerable.Repeat(1L, 9).ToArray());
        var mine = Path.Combine(_folders.Root, "ort.png");
        SamplePicture.Save(Torch.FromArray(x, shape), mine);

        var a = PngPixels.Load(reference);
        var b = PngPixels.Load(mine);
        Assert.Equal(a.Length, b.Length);
        // One grey level of slack: a value within 1e-6 of a rounding boundary may land on either side.
        Assert.All(a.Zip(b), p => Assert.InRange(p.First - p.Second, -1, 1));
        Assert.True(a.Distinct().Count() > 10, "the picture is flat: the comparison would mean nothing");
    }

    [Fact]
    public void ExportErrorsNameWhatIsWrong()
    {
        var e1 = Assert.Throws<DirectoryNotFoundException>(() => ExportJob.Run(Path.Combine(_folders.Root, "nope"), "onnx", 1, null));
        Assert.Contains("nope", e1.Message);
        var folder = Folder("mlp", "epsilon", 4);
        var e2 = Assert.Throws<ArgumentException>(() => ExportJob.Run(folder, "tflite", 1, null));
        Assert.Contains("--format 'tflite'", e2.Message);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => ExportJob.Run(folder, "onnx", 0, null));
        Assert.Contains("--steps", e3.Message);
        File.WriteAllText(Path.Combine(_folders.Root, "bad.json"), "{\"format\": \"distilldiff-sampler/1\", \"num_steps\": 2, \"steps\": []}");
        var e4 = Assert.Throws<InvalidDataException>(() => SamplerSpec.Load(Path.Combine(_folders.Root, "bad.json")));
        Assert.Contains("num_steps is 2 but steps has 0", e4.Message);
    }
}
