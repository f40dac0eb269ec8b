using System.Buffers.Binary;
using System.Text;

namespace DistillDiff.Formats.Tests.Safetensors;

/// <summary>Builds raw safetensors buffers byte by byte, so malformed files can be made on purpose.</summary>
internal static class SafetensorsBytes
{
    public static byte[] Build(string headerJson, int dataLength) => Build(Encoding.UTF8.GetBytes(headerJson), new byte[dataLength]);

    public static byte[] Build(byte[] header, byte[] data, ulong? declaredHeaderSize = null)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredHeaderSize ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }
}
