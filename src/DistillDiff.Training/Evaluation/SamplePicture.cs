namespace DistillDiff.Training.Evaluation;

using DistillDiff.Engine;
using DistillDiff.Formats.Images;

/// <summary>
/// Samples as a PNG: a square grid for images [N, C, H, W], each image enlarged so a tile is at least
/// <see cref="MinTilePixels"/> wide (nearest neighbour: 28 px Fashion-MNIST tiles become 112 px, an 8x8 grid about
/// 920 px), and a <see cref="PicturePixels"/>-pixel density picture for 2-D points [N, 2].
/// </summary>
public static class SamplePicture
{
    public const int MinTilePixels = 96;
    public const int PicturePixels = 640;

    public static void Save(Tensor samples, string path, int maxImages = int.MaxValue)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        var shape = samples.Shape;
        if (shape.Length == 4)
        {
            var n = (int)Math.Min(maxImages, shape[0]);
            if (n == 0) return;
            using var scope = Torch.NewDisposeScope();
            var pixels = samples.Narrow(0, 0, n).Float().Cpu().Contiguous().ToArray<float>();
            var (png, w, h) = ImageGrid.ToPixels(pixels, n, (int)shape[1], (int)shape[2], (int)shape[3], (int)Math.Ceiling(Math.Sqrt(n)));
            var scale = Math.Max(1, (MinTilePixels + (int)shape[3] - 1) / (int)shape[3]);
            PngEncoder.Save(path, Enlarge(png, w, h, (int)shape[1], scale), w * scale, h * scale, (int)shape[1]);
        }
        else
        {
            // 160 histogram bins keep a few thousand points dense enough to read; each bin is drawn 4x4.
            var (png, size) = PointDensity.Render(samples, PicturePixels / 4);
            PngEncoder.Save(path, Enlarge(png, size, size, 1, 4), size * 4, size * 4, 1);
        }
    }

    /// <summary>Nearest-neighbour enlargement of interleaved pixels by an integer factor.</summary>
    public static byte[] Enlarge(byte[] pixels, int width, int height, int channels, int scale)
    {
        if (scale == 1) return pixels;
        var outWidth = width * scale;
        var result = new byte[pixels.Length * scale * scale];
        for (var y = 0; y < height * scale; y++)
            for (var x = 0; x < outWidth; x++)
                for (var c = 0; c < channels; c++)
                    result[(y * outWidth + x) * channels + c] = pixels[((y / scale) * width + x / scale) * channels + c];
        return result;
    }
}
