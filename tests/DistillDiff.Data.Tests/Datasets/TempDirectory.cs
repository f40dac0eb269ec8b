namespace DistillDiff.Data.Tests.Datasets;

/// <summary>A fresh directory deleted at dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"distilldiff-data-{Guid.NewGuid():N}");

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
