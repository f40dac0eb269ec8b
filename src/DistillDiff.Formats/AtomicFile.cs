using System.Security.Cryptography;

namespace DistillDiff.Formats;

/// <summary>
/// Writes a file so that readers only ever see the old content or the complete new content:
/// the bytes go to a sibling temp file, are flushed to the disk, and the temp file is then renamed over the target.
/// A crash or an exception mid-write leaves the previous file (if any) untouched under the final name.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> writeContent)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        string? directory = Path.GetDirectoryName(fullPath);
        if (!string.IsNullOrEmpty(directory))
            Directory.CreateDirectory(directory);

        // Random suffix: two writers racing on the same target must not share a temp file.
        string tempPath = $"{fullPath}.tmp-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
        try
        {
            using (var stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                writeContent(stream);
                // Flush(true) reaches the disk; without it a power loss after the rename can leave an empty file.
                stream.Flush(flushToDisk: true);
            }
            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(tempPath);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The original exception is the one the caller needs; a leftover temp file is harmless and clearly named.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
