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
        // Scale by a high quantile of the occupied cells rather than the maximum, so one dense cell does not wash out the rest.
        var occupied = counts.Where(c => c > 0).OrderBy(c => c).ToArray();
        var max = occupied.Length == 0 ? 1 : Math.Max(1, occupied[(int)(0.95 * (occupied.Length - 1))]);
        var pixels = new byte[size * size];
        for (var i = 0; i < pixels.Length; i++)
            pixels[i] = (byte)(255 - (int)Math.Round(255 * Math.Sqrt(Math.Min(1.0, counts[i] / (double)max))));
        return (pixels, size);
    }
}
