namespace DistillDiff.Formats.TensorBoard;

/// <summary>
/// CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF, as used by
/// TFRecord framing. Check value: Compute("123456789") = 0xE3069283.
/// </summary>
public static class Crc32C
{
    private const uint MaskDelta = 0xA282EAD8u;

    private static readonly ReflectedCrc32 Crc = new(0x82F63B78u);

    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues <paramref name="crc"/> (a finished CRC of earlier bytes) over more bytes.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data) => Crc.Append(crc, data);

    /// <summary>
    /// TFRecord's masking, which keeps a CRC stored next to the data it covers from being a valid CRC of
    /// data that itself contains CRCs: rotate right by 15, then add a constant.
    /// </summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + MaskDelta;

    public static uint Unmask(uint masked)
    {
        uint rotated = masked - MaskDelta;
        return (rotated >> 17) | (rotated << 15);
    }
}
