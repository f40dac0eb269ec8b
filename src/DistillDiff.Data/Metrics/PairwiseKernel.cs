namespace DistillDiff.Data.Metrics;

using DistillDiff.Engine;

/// <summary>Sums and nearest-neighbour radii over all pairs of two [N, D] float64 sets, in row blocks so the
/// [rows, M] block (not the whole N x M matrix) bounds memory.</summary>
internal static class PairwiseKernel
{
    private const long BlockRows = 1024; // 1024 x 10,000 doubles is 80 MB

    /// <summary>‖xᵢ - yⱼ‖² for a block of x rows against all of y, as ‖x‖² + ‖y‖² - 2xᵀy clamped at 0.</summary>
    public static Tensor SquaredDistances(Tensor xBlock, Tensor y) =>
        xBlock.MatMul(y.T * -2).Add_(xBlock.Square().Sum([1], keepDim: true)).Add_(y.Square().Sum([1]).Unsqueeze(0)).Clamp_(min: 0);

    /// <summary>Σᵢⱼ k(xᵢ, yⱼ), where <paramref name="kernel"/> maps (x block, y) to the block's kernel matrix.</summary>
    public static double Sum(Tensor x, Tensor y, Func<Tensor, Tensor, Tensor> kernel)
    {
        var sum = 0.0;
        for (long start = 0; start < x.Size(0); start += BlockRows)
        {
            using var block = Torch.NewDisposeScope();
            sum += kernel(x.Narrow(0, start, Math.Min(BlockRows, x.Size(0) - start)), y).Sum().Item();
        }
        return sum;
    }

    /// <summary>For each row of x, the distance to its k-th nearest neighbour in x other than itself (k ≥ 1).</summary>
    public static Tensor KthNeighbourRadii(Tensor x, int k)
    {
        var n = x.Size(0);
        if (k >= n) throw new ArgumentException($"k = {k} nearest neighbours need more than {k} samples, got {n}");
        var parts = new List<Tensor>();
        using var scope = Torch.NewDisposeScope();
        for (long start = 0; start < n; start += BlockRows)
        {
            var (sorted, _) = SquaredDistances(x.Narrow(0, start, Math.Min(BlockRows, n - start)), x).Sort(1);
            // Column 0 is the point itself (distance 0), so the k-th neighbour other than itself is column k.
            parts.Add(sorted.Narrow(1, k, 1).Squeeze(1).Sqrt());
        }
        return scope.MoveOut(Torch.Cat(parts));
    }

    /// <summary>Fraction of the rows of <paramref name="queries"/> inside at least one ball B(centreᵢ, radiusᵢ) (closed balls).</summary>
    public static double FractionCovered(Tensor queries, Tensor centres, Tensor radii)
    {
        var r2 = radii.Square().Unsqueeze(0);
        var covered = 0.0;
        for (long start = 0; start < queries.Size(0); start += BlockRows)
        {
            using var block = Torch.NewDisposeScope();
            var d2 = SquaredDistances(queries.Narrow(0, start, Math.Min(BlockRows, queries.Size(0) - start)), centres);
            covered += d2.Le(r2).To(DType.Float64).Amax([1]).Sum().Item();
        }
        return covered / queries.Size(0);
    }
}
