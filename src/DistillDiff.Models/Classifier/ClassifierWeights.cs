namespace DistillDiff.Models.Classifier;

using System.Globalization;
using System.Security.Cryptography;
using DistillDiff.Engine;
using DistillDiff.Engine.Serialization;

/// <summary>
/// The shipped Fashion-MNIST classifier weights (assets/fmnist-classifier.safetensors, trained by
/// recipes/fmnist-classifier.yaml), pinned by SHA-256: every feature-space number is only comparable across runs
/// and machines if it came from these exact weights, so a file with another checksum is refused, not used.
/// </summary>
public static class ClassifierWeights
{
    public const string FileName = "fmnist-classifier.safetensors";

    /// <summary>SHA-256 of the shipped file. Retraining changes it: update it here and in docs/results.md together.</summary>
    public const string Sha256 = "559a864277994a287e5204ee0a966f2b5f4ca862e734985b52a4b39ff4ae6caf";

    /// <summary>Next to the binaries (the build copies assets/ there).</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "assets", FileName);

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Loads the pinned classifier in eval mode; <paramref name="expectedSha256"/> null accepts any file (for a
    /// freshly trained one), otherwise the file's checksum must match.</summary>
    public static FashionMnistClassifier Load(string? path = null, Device? device = null, string? expectedSha256 = Sha256)
    {
        path ??= DefaultPath;
        if (!File.Exists(path))
            throw new FileNotFoundException($"classifier weights '{path}' not found (shipped as assets/{FileName}; rebuild, or train it with `distilldiff train recipes/fmnist-classifier.yaml`)", path);
        if (expectedSha256 is not null)
        {
            var actual = HashFile(path);
            if (!string.Equals(actual, expectedSha256, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException(
                    $"classifier weights '{path}' have SHA-256 {actual}, expected {expectedSha256}: feature-space metrics from other weights " +
                    "are not comparable with the project's numbers (restore the shipped file, or retrain and update ClassifierWeights.Sha256)");
        }
        var meta = StateDictFile.ReadMetadata(path);
        if (!meta.TryGetValue("channels", out var text))
            throw new InvalidDataException($"classifier weights '{path}': metadata key 'channels' is missing (expected e.g. \"32,64,64,128\")");
        int[] channels;
        try
        {
            channels = text.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (FormatException)
        {
            throw new InvalidDataException($"classifier weights '{path}': metadata 'channels' is '{text}', expected comma-separated integers");
        }
        var model = new FashionMnistClassifier(channels);
        try
        {
            StateDictFile.LoadInto(model, path);
            if (device is { } d) model.To(d);
            model.Eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Metadata saved with the weights, enough for <see cref="Load"/> to rebuild the network.</summary>
    public static Dictionary<string, string> Metadata(FashionMnistClassifier model, double testAccuracy) => new()
    {
        ["channels"] = string.Join(",", model.Channels),
        ["test_accuracy"] = testAccuracy.ToString("0.0000", CultureInfo.InvariantCulture),
        ["format"] = "distilldiff fmnist-classifier v1",
    };
}
