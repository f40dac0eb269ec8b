namespace DistillDiff.Training.Tests.Classifier;

using System.Globalization;
using DistillDiff.Data.Datasets;
using DistillDiff.Engine;
using DistillDiff.Engine.Serialization;
using DistillDiff.Models.Classifier;
using DistillDiff.Recipes;
using DistillDiff.Training.Classifier;

public sealed class ClassifierTests : IDisposable
{
    private readonly string _dir = TestRecipes.TempDir("classifier");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Measured with recipes/fmnist-classifier.yaml (see docs/results.md); a retrained file must match or beat it.</summary>
    private const double MinTestAccuracy = 0.89;

    [Fact]
    public void ShippedWeightsMatchTheirChecksumAndReachTheirTestAccuracy()
    {
        var path = ClassifierWeights.DefaultPath;
        Assert.Equal(ClassifierWeights.Sha256, ClassifierWeights.HashFile(path));
        using var model = ClassifierWeights.Load();
        var accuracy = ClassifierAccuracy.Measure(model, new FashionMnistDataset(train: false), Device.CPU);
        Assert.True(accuracy >= MinTestAccuracy, $"test accuracy {accuracy:0.0000} < {MinTestAccuracy}");
        // The accuracy written into the file when it was trained is what the 10,000 test images give now.
        var recorded = double.Parse(StateDictFile.ReadMetadata(path)["test_accuracy"], CultureInfo.InvariantCulture);
        Assert.Equal(recorded, accuracy, 4);
        Assert.Equal(128, model.FeatureSize);
    }

    [Fact]
    public void WeightsWithAnotherChecksumAreRefused()
    {
        var copy = Path.Combine(_dir, ClassifierWeights.FileName);
        File.Copy(ClassifierWeights.DefaultPath, copy);
        using (var f = File.Open(copy, FileMode.Open)) { f.Seek(-1, SeekOrigin.End); var b = f.ReadByte(); f.Seek(-1, SeekOrigin.End); f.WriteByte((byte)(b ^ 1)); }
        var e = Assert.Throws<InvalidDataException>(() => ClassifierWeights.Load(copy));
        Assert.Contains($"classifier weights '{copy}' have SHA-256 ", e.Message);
        Assert.Contains($"expected {ClassifierWeights.Sha256}", e.Message);
        Assert.Throws<FileNotFoundException>(() => ClassifierWeights.Load(Path.Combine(_dir, "missing.safetensors")));
    }

    [Fact]
    public void RejectsImagesOfTheWrongShape()
    {
        using var model = new FashionMnistClassifier([4, 4, 4, 8]);
        using var scope = Torch.NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => model.Features(Torch.Zeros([2, 1, 32, 32])));
        Assert.Contains("[N, 1, 28, 28] images, got [2, 1, 32, 32]", e.Message);
    }

    [Fact]
    public void TheRecipeTrainsWritesWeightsAndMeasuresTestAccuracy()
    {
        var recipe = RecipeLoader.Load(Path.Combine(TestRecipes.RepoRoot, "recipes", "fmnist-classifier.yaml"),
            ["classifier.epochs=2", "classifier.train_limit=2048", "classifier.channels=[8,16,16,32]", "classifier.lr=5e-3"]);
        var result = ClassifierTraining.Run(recipe, Path.Combine(_dir, "run"), TextWriter.Null);
        Assert.True(File.Exists(result.Weights));
        Assert.Equal(ClassifierWeights.HashFile(result.Weights), result.Sha256);
        Assert.Equal(10_000, result.TestImages);
        Assert.True(result.TestAccuracy > 0.3, $"32 updates on 2,048 images beat chance (0.1) by far: {result.TestAccuracy}");
        using var loaded = ClassifierWeights.Load(result.Weights, expectedSha256: result.Sha256);
        Assert.Equal([8, 16, 16, 32], loaded.Channels);
        Assert.True(File.Exists(Path.Combine(_dir, "run", "classifier.json")));
    }
}
