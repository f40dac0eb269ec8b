namespace DistillDiff.Training.Evaluation;

using DistillDiff.Engine;

/// <summary>2-D points as a grayscale histogram picture (dark = dense) over [-3, 3]², the toy data's range.</summary>
public static class PointDensity
{
    public static (byte[] Pixels, int Size) Render(Tensor points, int size, double extent = 3.0)
    {
        var xy = points.Float().Cpu().Contiguous().ToArray<float>();
        var counts = new int[size * size];
        for (var i = 0; i + 1 < xy.Length; i += 2)
        {
            var cx = (int)((xy[i] + extent) / (2 * extent) * size);
            var cy = (int)((extent - xy[i + 1]) / (2 * extent) * size);
            if (cx >= 0 && cx < size && cy >= 0 && cy < size) counts[cy * size + cx]++;
        }
        var max = Math.Max(1, counts.Max());
        var pixels = new byte[size * size];
        for (var i = 0; i < pixels.Length; i++)
            pixels[i] = (byte)(255 - (int)Math.Round(255 * Math.Sqrt(counts[i] / (double)max)));
        return (pixels, size);
    }
}
