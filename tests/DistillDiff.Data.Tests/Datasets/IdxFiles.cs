namespace DistillDiff.Data.Tests.Datasets;

using System.Buffers.Binary;
using System.IO.Compression;

/// <summary>Writes small gzip IDX files for tests (format: /work/shared/reference/formats.md).</summary>
internal static class IdxFiles
{
    public static void WriteImages(string path, int count, int rows = 28, int cols = 28, byte fill = 0)
    {
        var data = new byte[16 + count * rows * cols];
        BinaryPrimitives.WriteInt32BigEndian(data, 2051);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(12), cols);
        data.AsSpan(16).Fill(fill);
        WriteGzip(path, data);
    }

    public static void WriteLabels(string path, params byte[] labels)
    {
        var data = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(data, 2049);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), labels.Length);
        labels.CopyTo(data, 8);
        WriteGzip(path, data);
    }

    private static void WriteGzip(string path, byte[] data)
    {
        using var file = File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        gz.Write(data);
    }
}
