namespace DistillDiff.Training.Evaluation;

using DistillDiff.Engine;
using DistillDiff.Formats.Images;

/// <summary>Samples as a PNG: a square grid for images [N, C, H, W], a density picture for 2-D points [N, 2].</summary>
public static class SamplePicture
{
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
            PngEncoder.Save(path, png, w, h, (int)shape[1]);
        }
        else
        {
            var (png, size) = PointDensity.Render(samples, 160);
            PngEncoder.Save(path, png, size, size, 1);
        }
    }
}
