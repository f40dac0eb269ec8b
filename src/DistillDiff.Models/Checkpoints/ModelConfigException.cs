namespace DistillDiff.Models.Checkpoints;

/// <summary>A config.json (or model folder) that cannot be read or does not describe a buildable model.</summary>
public sealed class ModelConfigException : Exception
{
    public ModelConfigException(string path, string? key, string message, Exception? inner = null)
        : base(key is null ? $"{path}: {message}" : $"{path}: key '{key}': {message}", inner) => (Path, Key) = (path, key);

    /// <summary>The file or folder at fault.</summary>
    public string Path { get; }

    /// <summary>The JSON key at fault, when one is.</summary>
    public string? Key { get; }
}
