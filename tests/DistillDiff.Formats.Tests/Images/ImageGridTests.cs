using DistillDiff.Formats.Images;

namespace DistillDiff.Formats.Tests.Images;

public sealed class ImageGridTests
{
    [Fact]
    public void TilesAreLaidOutRowMajorWithPaddingAndEmptySlotsStayBlack()
    {
        // Five 2x3 gray images, three per row: 2 rows. Width 3*(3+1)+1 = 13, height 2*(2+1)+1 = 7.
        const int n = 5, h = 2, w = 3;
        var images = new float[n * h * w];
        for (int i = 0; i < n; i++)
        {
            for (int p = 0; p < h * w; p++)
                images[i * h * w + p] = 0.1f * (i + 1) + 0.01f * p; // distinct value per image and pixel
        }

        (byte[] pixels, int width, int height) = ImageGrid.ToPixels(images, n, 1, h, w, nrow: 3, padding: 1, low: 0, high: 1);

        Assert.Equal((13, 7), (width, height));
        var expected = new byte[width * height];
        for (int i = 0; i < n; i++)
        {
            int top = 1 + (i / 3) * (h + 1), left = 1 + (i % 3) * (w + 1);
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < w; x++)
                    expected[(top + y) * width + left + x] = (byte)(images[i * h * w + y * w + x] * 255 + 0.5f);
            }
        }
        Assert.Equal(expected, pixels);
        // Spot checks against the layout: image 4 (second row, second column) starts at row 4, column 5.
        Assert.Equal((byte)(0.5f * 255 + 0.5f), pixels[4 * width + 5]);
        Assert.Equal(0, pixels[4 * width + 9]); // the sixth slot is empty
    }

    [Fact]
    public void ValuesAreScaledFromTheRangeClampedAndRounded()
    {
        float[] values = [-1f, 1f, 0f, 2f, -5f, float.NaN, -0.5f, 0.999f];
        (byte[] pixels, int width, int height) = ImageGrid.ToPixels(values, 1, 1, 1, values.Length, nrow: 1, padding: 0);
        Assert.Equal((values.Length, 1), (width, height));
        // (v + 1) / 2 * 255 + 0.5, truncated: 0, 255, 128, clamp 255, clamp 0, NaN -> 0, 64, 255.
        Assert.Equal([0, 255, 128, 255, 0, 0, 64, 255], pixels);
    }

    [Fact]
    public void ChannelPlanesBecomeInterleavedPixels()
    {
        // One 1x2 RGB image in CHW order: R plane, G plane, B plane.
        float[] chw = [1f, -1f, -1f, 1f, 0f, 0f];
        (byte[] pixels, int width, int height) = ImageGrid.ToPixels(chw, 1, 3, 1, 2, nrow: 8, padding: 1);
        Assert.Equal((4, 3), (width, height));
        byte[] row = pixels[(1 * width * 3)..(2 * width * 3)];
        Assert.Equal([0, 0, 0, 255, 0, 128, 0, 255, 128, 0, 0, 0], row);
        Assert.All(pixels[..(width * 3)], b => Assert.Equal(0, b));
    }

    [Fact]
    public void WrongLengthIsRefusedWithTheExpectedCount()
    {
        var e = Assert.Throws<ArgumentException>(() => ImageGrid.ToPixels(new float[10], 2, 1, 2, 3, nrow: 2));
        Assert.Contains("2 images of 1x2x3 need 12 floats, got 10", e.Message);
    }
}
