using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace DistillDiff.Formats.Images;

/// <summary>
/// Encodes 8-bit PNGs (PNG spec, ISO/IEC 15948) from interleaved row-major pixels: 1 channel gray,
/// 2 gray+alpha, 3 RGB, 4 RGBA. Rows use filter type 0 (None); compression is zlib deflate.
/// </summary>
public static class PngEncoder
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Chunk payload cap; decoders concatenate consecutive IDAT chunks.</summary>
    private const int MaxIdatChunk = 1 << 20;

    public static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        byte colorType = channels switch
        {
            1 => 0,
            2 => 4,
            3 => 2,
            4 => 6,
            _ => throw new ArgumentOutOfRangeException(nameof(channels), channels, "PNG pixels need 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA) channels."),
        };
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        long rowBytes = (long)width * channels;
        long expected = rowBytes * height;
        if (pixels.Length != expected)
            throw new ArgumentException(
                $"A {width}x{height} image with {channels} channels needs {expected} bytes, got {pixels.Length}.", nameof(pixels));
        if ((rowBytes + 1) * height > Array.MaxLength)
            throw new ArgumentException($"A {width}x{height}x{channels} image is too large to encode in memory.", nameof(pixels));

        var output = new MemoryStream();
        output.Write(Signature);

        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = colorType;
        ihdr[10] = 0; // compression: deflate
        ihdr[11] = 0; // filter method 0
        ihdr[12] = 0; // no interlace
        WriteChunk(output, "IHDR", ihdr);

        byte[] compressed = Compress(pixels, (int)rowBytes, height);
        for (int start = 0; start < compressed.Length; start += MaxIdatChunk)
            WriteChunk(output, "IDAT", compressed.AsSpan(start, Math.Min(MaxIdatChunk, compressed.Length - start)));

        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    /// <summary>Encodes and writes atomically (temp file, flush, rename), creating the directory if needed.</summary>
    public static void Save(string path, ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        byte[] png = Encode(pixels, width, height, channels);
        AtomicFile.Write(path, stream => stream.Write(png));
    }

    private static byte[] Compress(ReadOnlySpan<byte> pixels, int rowBytes, int height)
    {
        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            ReadOnlySpan<byte> filterNone = [0];
            for (int y = 0; y < height; y++)
            {
                zlib.Write(filterNone);
                zlib.Write(pixels.Slice(y * rowBytes, rowBytes));
            }
        }
        return compressed.ToArray();
    }

    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> typeBytes = stackalloc byte[4];
        Encoding.ASCII.GetBytes(type, typeBytes);
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        output.Write(typeBytes);
        output.Write(data);
        // The chunk CRC covers the type and the data, not the length.
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Append(Crc32.Compute(typeBytes), data));
        output.Write(word);
    }
}
