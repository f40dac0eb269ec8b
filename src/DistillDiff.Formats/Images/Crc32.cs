namespace DistillDiff.Formats.Images;

/// <summary>
/// CRC-32 (IEEE 802.3, as in PNG, zlib and gzip): reflected polynomial 0xEDB88320, initial value and final xor
/// 0xFFFFFFFF. Check value: Compute("123456789") = 0xCBF43926.
/// </summary>
public static class Crc32
{
    private static readonly ReflectedCrc32 Crc = new(0xEDB88320u);

    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues <paramref name="crc"/> (a finished CRC of earlier bytes) over more bytes.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data) => Crc.Append(crc, data);
}
