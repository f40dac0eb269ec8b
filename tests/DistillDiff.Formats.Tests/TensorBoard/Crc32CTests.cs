using DistillDiff.Formats.TensorBoard;

namespace DistillDiff.Formats.Tests.TensorBoard;

public sealed class Crc32CTests
{
    [Fact]
    public void CheckValueOfTheCatalogue()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0u, Crc32C.Compute([]));
    }

    [Fact]
    public void Rfc3720IscsiVectors()
    {
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
    }

    [Fact]
    public void AppendContinuesACrcOverMoreBytes()
    {
        Assert.Equal(Crc32C.Compute("123456789"u8), Crc32C.Append(Crc32C.Compute("1234"u8), "56789"u8));
    }

    [Fact]
    public void MaskRotatesRightBy15AndAddsTheDelta()
    {
        // ((0xE3069283 >> 15) | (0xE3069283 << 17)) mod 2^32 = 0x2507C60D; + 0xA282EAD8 = 0xC78AB0E5.
        Assert.Equal(0xC78AB0E5u, Crc32C.Mask(0xE3069283u));
        Assert.Equal(0xE3069283u, Crc32C.Unmask(0xC78AB0E5u));
        Assert.Equal(0xA282EAD8u, Crc32C.Mask(0));
    }
}
