namespace DistillDiff.Training.Classifier;

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DistillDiff.Data.Datasets;
using DistillDiff.Engine;
using DistillDiff.Engine.Optim;
using DistillDiff.Engine.Serialization;
using DistillDiff.Models.Classifier;
using DistillDiff.Recipes;
using DistillDiff.Training.Config;
using F = DistillDiff.Engine.Functional;

/// <summary>
/// Trains the Fashion-MNIST feature classifier from recipes/fmnist-classifier.yaml: AdamW with a cosine decay,
/// cross-entropy, seeded shuffles; then measures accuracy on the 10,000-image test split and writes
/// &lt;run&gt;/fmnist-classifier.safetensors (with its SHA-256) and &lt;run&gt;/classifier.json. A self-contained loop:
/// the classifier is not a diffusion method, so it does not go through the distillation trainer.
/// </summary>
public static class ClassifierTraining
{
    /// <summary>Whether a recipe is a classifier recipe (has a `classifier:` section) rather than a diffusion one.</summary>
    public static bool IsClassifierRecipe(Recipe recipe) => recipe.Has("classifier");

    public static ClassifierResult Run(Recipe recipe, string? runDir = null, TextWriter? log = null)
    {
        log ??= Console.Out;
        var run = recipe.Has("run") ? recipe.Bind<RunConfig>("run") : new RunConfig();
        var data = recipe.Bind<DataConfig>("data");
        var config = recipe.Bind<ClassifierTrainConfig>("classifier");
        recipe.EnsureAllKeysUsed();
        if (data.Type != "fashion_mnist")
            throw new RecipeException($"{recipe.SourcePath}: the classifier trains on Fashion-MNIST: key 'data.type' must be fashion_mnist, got '{data.Type}'", "data.type", recipe.SourcePath);
        if (run.Threads > 0) Torch.NumThreads = run.Threads;
        var dir = Path.GetFullPath(runDir ?? Path.Combine(run.OutputDir, run.Name));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.yaml"), recipe.ToYaml());

        var device = Device.Parse(run.Device);
        var path = data.Path ?? FashionMnistDataset.DefaultDirectory;
        var train = new FashionMnistDataset(path, train: true, limit: config.TrainLimit > 0 ? config.TrainLimit : null);
        var test = new FashionMnistDataset(path, train: false);
        Torch.ManualSeed(run.Seed);
        using var model = new FashionMnistClassifier(config.Channels);
        model.To(device);
        using var opt = new AdamW(model.TrainableParameters(), config.Lr, weightDecay: config.WeightDecay);
        var stepsPerEpoch = (int)(train.Count / config.BatchSize);
        var total = (long)stepsPerEpoch * config.Epochs;
        if (total == 0) throw new RecipeException($"{recipe.SourcePath}: classifier.batch_size ({config.BatchSize}) is larger than the {train.Count} training images", "classifier.batch_size", recipe.SourcePath);
        var schedule = new LrSchedule(LrScheduleKind.Cosine, WarmupSteps: Math.Min(100, total / 10), TotalSteps: total);
        var rng = new Random((int)(run.Seed % int.MaxValue));
        var clock = Stopwatch.StartNew();
        for (var epoch = 0; epoch < config.Epochs; epoch++)
        {
            var order = Enumerable.Range(0, (int)train.Count).Select(i => (long)i).ToArray();
            rng.Shuffle(order);
            var lossSum = 0.0;
            for (var b = 0; b < stepsPerEpoch; b++)
            {
                using var scope = Torch.NewDisposeScope();
                var batch = train.GetBatch(order.AsSpan(b * config.BatchSize, config.BatchSize).ToArray(), device);
                var loss = F.CrossEntropy(model.Logits(model.Features(batch.X)), batch.Labels!);
                opt.ZeroGrad();
                loss.Backward();
                schedule.Apply(opt);
                opt.Step();
                lossSum += loss.Item();
            }
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch + 1}/{config.Epochs}: mean loss {lossSum / stepsPerEpoch:0.0000} ({clock.Elapsed.TotalSeconds:0} s)"));
        }
        var trainSeconds = clock.Elapsed.TotalSeconds;
        model.Eval();
        var accuracy = ClassifierAccuracy.Measure(model, test, device);
        var weights = Path.Combine(dir, ClassifierWeights.FileName);
        StateDictFile.Save(weights, model, ClassifierWeights.Metadata(model, accuracy));
        var result = new ClassifierResult(weights, ClassifierWeights.HashFile(weights), accuracy, (int)test.Count, trainSeconds, model.NumParameters());
        File.WriteAllText(Path.Combine(dir, "classifier.json"), JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"test accuracy {accuracy:0.0000} on {test.Count} images; {result.Parameters} parameters; trained in {trainSeconds:0} s"));
        log.WriteLine($"weights {weights}\nsha256  {result.Sha256}");
        return result;
    }
}
