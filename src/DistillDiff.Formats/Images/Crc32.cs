namespace DistillDiff.Formats.Images;

/// <summary>
/// CRC-32 (IEEE 802.3, as in PNG, zlib and gzip): reflected polynomial 0xEDB88320, initial value and final xor
/// 0xFFFFFFFF. Check value: Compute("123456789") = 0xCBF43926.
/// </summary>
public static class Crc32
{
    private const uint ReflectedPolynomial = 0xEDB88320u;

    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues <paramref name="crc"/> (a finished CRC of earlier bytes) over more bytes.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint state = ~crc;
        foreach (byte b in data)
            state = Table[(byte)(state ^ b)] ^ (state >> 8);
        return ~state;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) != 0 ? (c >> 1) ^ ReflectedPolynomial : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
