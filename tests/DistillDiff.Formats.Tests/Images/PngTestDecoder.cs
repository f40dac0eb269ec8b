using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using DistillDiff.Formats.Images;

namespace DistillDiff.Formats.Tests.Images;

/// <summary>
/// A minimal PNG reader for the subset the encoder emits (8-bit, non-interlaced, filter 0), strict about
/// everything else, so the tests check the encoder against the PNG spec rather than against itself.
/// </summary>
internal static class PngTestDecoder
{
    public sealed record Chunk(string Type, byte[] Data);

    public sealed record Decoded(int Width, int Height, int ColorType, int Channels, byte[] Pixels, List<Chunk> Chunks);

    public static List<Chunk> ReadChunks(byte[] png)
    {
        Assert.Equal([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], png[..8]);
        var chunks = new List<Chunk>();
        int position = 8;
        while (position < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(position));
            string type = Encoding.ASCII.GetString(png, position + 4, 4);
            byte[] data = png[(position + 8)..(position + 8 + length)];
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(position + 8 + length));
            Assert.Equal(Crc32.Compute(png.AsSpan(position + 4, 4 + length)), crc);
            chunks.Add(new Chunk(type, data));
            position += 12 + length;
        }
        Assert.Equal(png.Length, position);
        return chunks;
    }

    public static Decoded Decode(byte[] png)
    {
        List<Chunk> chunks = ReadChunks(png);
        Assert.Equal("IHDR", chunks[0].Type);
        Assert.Equal("IEND", chunks[^1].Type);
        Assert.Empty(chunks[^1].Data);

        byte[] ihdr = chunks[0].Data;
        Assert.Equal(13, ihdr.Length);
        int width = BinaryPrimitives.ReadInt32BigEndian(ihdr);
        int height = BinaryPrimitives.ReadInt32BigEndian(ihdr.AsSpan(4));
        Assert.Equal(8, ihdr[8]);
        Assert.Equal([0, 0, 0], ihdr[10..13]);
        int channels = ihdr[9] switch { 0 => 1, 4 => 2, 2 => 3, 6 => 4, _ => throw new InvalidDataException($"color type {ihdr[9]}") };

        byte[] compressed = chunks.Where(c => c.Type == "IDAT").SelectMany(c => c.Data).ToArray();
        using var inflater = new ZLibStream(new MemoryStream(compressed), CompressionMode.Decompress);
        var raw = new MemoryStream();
        inflater.CopyTo(raw);
        byte[] scanlines = raw.ToArray();

        int stride = width * channels;
        Assert.Equal(height * (1 + stride), scanlines.Length);
        var pixels = new byte[height * stride];
        for (int y = 0; y < height; y++)
        {
            Assert.Equal(0, scanlines[y * (1 + stride)]); // filter type None: the row follows verbatim
            Array.Copy(scanlines, y * (1 + stride) + 1, pixels, y * stride, stride);
        }
        return new Decoded(width, height, ihdr[9], channels, pixels, chunks);
    }
}
