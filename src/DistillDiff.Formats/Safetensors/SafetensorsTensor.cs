using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace DistillDiff.Formats.Safetensors;

/// <summary>A tensor to write: <see cref="Data"/> holds the row-major elements, little-endian, as the format requires.</summary>
public sealed record SafetensorsTensor(string Name, SafetensorsDType DType, long[] Shape, ReadOnlyMemory<byte> Data)
{
    /// <summary>An F32 tensor from float values (encoded little-endian whatever the host order).</summary>
    public static SafetensorsTensor FromFloats(string name, long[] shape, ReadOnlySpan<float> values)
    {
        var bytes = new byte[checked(values.Length * sizeof(float))];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values).CopyTo(bytes);
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        }
        return new SafetensorsTensor(name, SafetensorsDType.F32, shape, bytes);
    }
}
