using System.Globalization;
using DistillDiff.Formats.TensorBoard;

namespace DistillDiff.Formats.Safetensors;

/// <summary>
/// Per-tensor CRC-32C checksums kept in the file's <c>__metadata__</c> (one key per tensor,
/// <c>distilldiff.crc32c.&lt;name&gt;</c>, value 8 lower-case hex digits). The format itself has no integrity check,
/// so flipped bits inside tensor data would otherwise load silently. Files without these keys (from PyTorch,
/// diffusers, older DistillDiff) load unchecked; other readers ignore metadata they do not know.
/// </summary>
public static class SafetensorsChecksums
{
    public const string KeyPrefix = "distilldiff.crc32c.";

    // Chunks keep spans under int.MaxValue for tensors larger than 2 GiB.
    private const int Chunk = 1 << 30;

    public static string KeyFor(string tensorName) => KeyPrefix + tensorName;

    /// <summary>The checksum text of a tensor's bytes.</summary>
    public static string Compute(ReadOnlySpan<byte> data) => Crc32C.Compute(data).ToString("x8", CultureInfo.InvariantCulture);

    /// <summary><paramref name="metadata"/> plus one checksum entry per tensor.</summary>
    public static Dictionary<string, string> With(IEnumerable<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var result = metadata is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(metadata, StringComparer.Ordinal);
        foreach (SafetensorsTensor t in tensors)
            result[KeyFor(t.Name)] = Compute(t.Data.Span);
        return result;
    }

    /// <summary>Whether the file carries checksums (any key with <see cref="KeyPrefix"/>).</summary>
    public static bool Present(SafetensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return file.Metadata.Keys.Any(k => k.StartsWith(KeyPrefix, StringComparison.Ordinal));
    }

    /// <summary>
    /// When the file carries checksums, recomputes every tensor's and throws <see cref="SafetensorsFormatException"/>
    /// naming the tensors whose bytes changed (or that have no checksum, or checksums naming no tensor).
    /// </summary>
    public static unsafe void Verify(SafetensorsFile file)
    {
        if (!Present(file))
            return;
        var bad = new List<string>();
        foreach (SafetensorsTensorInfo info in file.Tensors)
        {
            if (!file.Metadata.TryGetValue(KeyFor(info.Name), out string? stored))
            {
                bad.Add($"'{info.Name}' (no checksum)");
                continue;
            }
            uint crc = 0;
            var start = (byte*)file.DataPointer(info.Name);
            for (long done = 0; done < info.ByteLength; done += Chunk)
                crc = Crc32C.Append(crc, new ReadOnlySpan<byte>(start + done, (int)Math.Min(Chunk, info.ByteLength - done)));
            string computed = crc.ToString("x8", CultureInfo.InvariantCulture);
            if (!string.Equals(stored, computed, StringComparison.Ordinal))
                bad.Add($"'{info.Name}' (stored {stored}, computed {computed})");
        }
        foreach (string key in file.Metadata.Keys.Where(k => k.StartsWith(KeyPrefix, StringComparison.Ordinal)))
        {
            if (!file.Contains(key[KeyPrefix.Length..]))
                bad.Add($"checksum for missing tensor '{key[KeyPrefix.Length..]}'");
        }
        if (bad.Count > 0)
            throw new SafetensorsFormatException(file.Path,
                $"tensor data does not match the checksums in __metadata__ (the file is damaged): {string.Join(", ", bad.Take(10))}" +
                (bad.Count > 10 ? $" and {bad.Count - 10} more" : ""));
    }
}
