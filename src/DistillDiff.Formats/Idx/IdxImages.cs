namespace DistillDiff.Formats.Idx;

/// <summary>An IDX image file's content: <see cref="Pixels"/> holds Count x Rows x Cols bytes, row-major.</summary>
public sealed record IdxImages(int Count, int Rows, int Cols, byte[] Pixels)
{
    public int ImageSize => Rows * Cols;

    /// <summary>The pixels of image <paramref name="index"/> (a view, not a copy).</summary>
    public ReadOnlyMemory<byte> Image(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Pixels.AsMemory(index * ImageSize, ImageSize);
    }
}
