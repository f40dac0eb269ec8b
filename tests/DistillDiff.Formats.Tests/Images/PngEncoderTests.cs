using DistillDiff.Formats.Images;

namespace DistillDiff.Formats.Tests.Images;

public sealed class PngEncoderTests
{
    [Fact]
    public void Crc32CheckValue()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(Crc32.Compute("123456789"u8), Crc32.Append(Crc32.Compute("123"u8), "456789"u8));
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 4)]
    [InlineData(3, 2)]
    [InlineData(4, 6)]
    public void EncodedPixelsDecodeBackExactly(int channels, int colorType)
    {
        const int width = 7, height = 5;
        byte[] pixels = new byte[width * height * channels];
        new Random(channels).NextBytes(pixels);

        PngTestDecoder.Decoded png = PngTestDecoder.Decode(PngEncoder.Encode(pixels, width, height, channels));

        Assert.Equal((width, height, colorType, channels), (png.Width, png.Height, png.ColorType, png.Channels));
        Assert.Equal(pixels, png.Pixels);
        Assert.Equal(["IHDR", "IDAT", "IEND"], png.Chunks.Select(c => c.Type));
    }

    [Fact]
    public void FileEndsWithTheStandardIendChunk()
    {
        byte[] png = PngEncoder.Encode(new byte[3], 1, 1, 3);
        // Length 0, "IEND", and its CRC 0xAE426082 (the CRC of the four type bytes), as in every PNG.
        Assert.Equal([0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82], png[^12..]);
    }

    [Fact]
    public void LargeImagesSpreadOverSeveralIdatChunks()
    {
        const int width = 700, height = 600;
        byte[] pixels = new byte[width * height * 3];
        new Random(7).NextBytes(pixels); // noise does not compress, so the stream exceeds one 1 MiB chunk

        PngTestDecoder.Decoded png = PngTestDecoder.Decode(PngEncoder.Encode(pixels, width, height, 3));

        Assert.True(png.Chunks.Count(c => c.Type == "IDAT") >= 2);
        Assert.Equal(pixels, png.Pixels);
    }

    [Fact]
    public void WrongPixelCountAndChannelCountAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => PngEncoder.Encode(new byte[10], 2, 2, 3));
        Assert.Contains("needs 12 bytes, got 10", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => PngEncoder.Encode(new byte[5], 1, 1, 5));
    }

    [Fact]
    public void SaveWritesAtomicallyIntoANewDirectory()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "samples", "grid.png");
        byte[] pixels = [10, 20, 30, 40];
        PngEncoder.Save(path, pixels, 2, 2, 1);
        Assert.Equal(pixels, PngTestDecoder.Decode(File.ReadAllBytes(path)).Pixels);
        Assert.Equal(["grid.png"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }
}
