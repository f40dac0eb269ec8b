namespace DistillDiff.Formats.Safetensors;

/// <summary>
/// One header entry. <see cref="Begin"/> and <see cref="End"/> (exclusive) are relative to the start of the
/// data buffer, i.e. to byte 8 + N of the file.
/// </summary>
public sealed record SafetensorsTensorInfo(string Name, SafetensorsDType DType, long[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;

    /// <summary>Product of <see cref="Shape"/>; 1 for a scalar (shape []).</summary>
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (long dim in Shape)
                count = checked(count * dim);
            return count;
        }
    }

    public override string ToString() =>
        $"{Name}: {SafetensorsDTypes.Format(DType)}[{string.Join(", ", Shape)}] @ [{Begin}, {End})";
}
