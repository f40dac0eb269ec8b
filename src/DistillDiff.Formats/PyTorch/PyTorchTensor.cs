namespace DistillDiff.Formats.PyTorch;

using DistillDiff.Formats.Safetensors;

/// <summary>A tensor rebuilt from a checkpoint: its dtype, shape and its elements, contiguous (row-major) and
/// little-endian, whatever the strides and offset of the view that was saved.</summary>
public sealed record PyTorchTensor(SafetensorsDType DType, long[] Shape, byte[] Data)
{
    public long NumEl => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The elements as float32 (from F32, F64, F16 or BF16), for tests and inspection.</summary>
    public float[] ToFloats() => DType switch
    {
        SafetensorsDType.F32 => Enumerable.Range(0, Data.Length / 4).Select(i => BitConverter.ToSingle(Data, 4 * i)).ToArray(),
        SafetensorsDType.F64 => Enumerable.Range(0, Data.Length / 8).Select(i => (float)BitConverter.ToDouble(Data, 8 * i)).ToArray(),
        SafetensorsDType.F16 => Enumerable.Range(0, Data.Length / 2).Select(i => (float)BitConverter.ToHalf(Data, 2 * i)).ToArray(),
        SafetensorsDType.BF16 => Enumerable.Range(0, Data.Length / 2).Select(i => BitConverter.Int32BitsToSingle(BitConverter.ToUInt16(Data, 2 * i) << 16)).ToArray(),
        _ => throw new InvalidOperationException($"{DType} is not a floating-point dtype"),
    };
}
