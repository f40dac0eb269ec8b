namespace DistillDiff.Formats.Images;

/// <summary>
/// Tiles a batch of CHW float images into one interleaved 8-bit image, like torchvision.utils.make_grid followed
/// by save_image: <c>nrow</c> images per row, <c>padding</c> black pixels around and between tiles.
/// </summary>
public static class ImageGrid
{
    /// <param name="images">N images, each channels x height x width, row-major, concatenated.</param>
    /// <param name="nrow">Images per grid row (torchvision's name); the last row may be partly empty.</param>
    /// <param name="low">Value mapped to 0; <paramref name="high"/> maps to 255; outside values are clamped, NaN becomes 0.</param>
    /// <returns>Interleaved pixels (height x width x channels), and the grid's size.</returns>
    public static (byte[] Pixels, int Width, int Height) ToPixels(float[] images, int n, int channels, int height, int width,
        int nrow, int padding = 2, float low = -1, float high = 1)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        if (channels is < 1 or > 4)
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "Grid images need 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA) channels.");
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(nrow, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        if (!(high > low) || !float.IsFinite(low) || !float.IsFinite(high))
            throw new ArgumentException($"Value range must satisfy low < high (both finite), got low={low}, high={high}.", nameof(high));
        long imageSize = (long)channels * height * width;
        if (images.LongLength != imageSize * n)
            throw new ArgumentException(
                $"{n} images of {channels}x{height}x{width} need {imageSize * n} floats, got {images.LongLength}.", nameof(images));

        int columns = Math.Min(nrow, n);
        int rows = (n + columns - 1) / columns;
        long gridWidth = (long)columns * (width + padding) + padding;
        long gridHeight = (long)rows * (height + padding) + padding;
        if (gridWidth * gridHeight * channels > Array.MaxLength)
            throw new ArgumentException($"A {gridWidth}x{gridHeight} grid with {channels} channels is too large.", nameof(images));

        var pixels = new byte[gridWidth * gridHeight * channels];
        float scale = 255f / (high - low);
        for (int i = 0; i < n; i++)
        {
            long originX = (long)(i % columns) * (width + padding) + padding;
            long originY = (long)(i / columns) * (height + padding) + padding;
            long imageStart = i * imageSize;
            for (int c = 0; c < channels; c++)
            {
                for (int y = 0; y < height; y++)
                {
                    long source = imageStart + ((long)c * height + y) * width;
                    long target = ((originY + y) * gridWidth + originX) * channels + c;
                    for (int x = 0; x < width; x++)
                        pixels[target + (long)x * channels] = ToByte(images[source + x], low, scale);
                }
            }
        }
        return (pixels, (int)gridWidth, (int)gridHeight);
    }

    /// <summary>torchvision's save_image rounding: (v * 255 + 0.5) clamped to [0, 255], truncated.</summary>
    private static byte ToByte(float value, float low, float scale)
    {
        float scaled = (value - low) * scale + 0.5f;
        if (!(scaled > 0f))
            return 0; // also NaN
        return scaled >= 255f ? (byte)255 : (byte)scaled;
    }
}
