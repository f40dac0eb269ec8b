namespace DistillDiff.Formats;

/// <summary>
/// A table-driven, reflected 32-bit CRC with initial value and final xor 0xFFFFFFFF: the shape both CRC-32 (PNG)
/// and CRC-32C (TFRecord) share; only the polynomial differs.
/// </summary>
internal sealed class ReflectedCrc32
{
    private readonly uint[] _table = new uint[256];

    public ReflectedCrc32(uint reflectedPolynomial)
    {
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++)
                c = (c & 1) != 0 ? (c >> 1) ^ reflectedPolynomial : c >> 1;
            _table[i] = c;
        }
    }

    /// <summary>Continues <paramref name="crc"/> (a finished CRC of earlier bytes) over more bytes.</summary>
    public uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var state = ~crc;
        foreach (var b in data)
            state = _table[(byte)(state ^ b)] ^ (state >> 8);
        return ~state;
    }
}
