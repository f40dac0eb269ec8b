namespace DistillDiff.Formats.Safetensors;

/// <summary>A safetensors file (or in-memory buffer) that the reference loader would reject.</summary>
public sealed class SafetensorsFormatException : Exception
{
    public SafetensorsFormatException(string sourcePath, string problem, string? tensorName = null, long? offset = null)
        : base(BuildMessage(sourcePath, problem, tensorName, offset))
    {
        SourcePath = sourcePath;
        TensorName = tensorName;
        Offset = offset;
    }

    /// <summary>The file path, or the source name given to <see cref="SafetensorsFile.Parse"/>.</summary>
    public string SourcePath { get; }

    /// <summary>The tensor (or metadata key's owner) the problem concerns, when there is one.</summary>
    public string? TensorName { get; }

    /// <summary>Absolute byte offset in the file where the problem was found, when known.</summary>
    public long? Offset { get; }

    private static string BuildMessage(string sourcePath, string problem, string? tensorName, long? offset)
    {
        string where = tensorName is null ? "" : $" tensor '{tensorName}':";
        string at = offset is null ? "" : $" (file offset {offset})";
        return $"Invalid safetensors file '{sourcePath}':{where} {problem}{at}";
    }
}
