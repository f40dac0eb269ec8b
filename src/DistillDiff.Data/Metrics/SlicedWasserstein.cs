namespace DistillDiff.Data.Metrics;

using DistillDiff.Engine;

/// <summary>
/// Sliced 2-Wasserstein distance (Rabin et al. 2011; Bonneel et al. 2015) between two sample sets, flattened to
/// [N, D]:
/// <code>SW₂(a, b) = ( (1/P) Σ_p W₂²(θ_pᵀa, θ_pᵀb) )^½,  θ_p uniform on the unit sphere S^{D-1},</code>
/// where the 1-d W₂² between empirical measures is the integral of the squared difference of their quantile
/// functions, ∫₀¹ (F_a⁻¹(u) - F_b⁻¹(u))² du. Both quantile functions are step functions (sorted projections), so
/// the integral is computed exactly over the merged breakpoints i/N_a and j/N_b; sets of different sizes need no
/// interpolation or resampling, and with N_a = N_b it is the mean of squared differences of the sorted values.
/// In the units of the data: two point masses at distance d give d/√D in expectation over directions (d for D = 1).
/// </summary>
public static class SlicedWasserstein
{
    /// <summary>SW₂ of <paramref name="a"/> [N_a, ...] and <paramref name="b"/> [N_b, ...] over <paramref name="projections"/>
    /// random directions drawn from <paramref name="gen"/> (the same seed gives the same value).</summary>
    public static double Distance(Tensor a, Tensor b, int projections, Generator gen)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(projections);
        ArgumentNullException.ThrowIfNull(gen);
        using var scope = Torch.NewDisposeScope();
        var (fa, fb) = MetricInputs.Pair(a, b);
        var dim = fa.Size(1);
        // Normalised Gaussian vectors are uniform on the sphere. Drawn on the generator's device so the value
        // does not depend on where the samples live.
        var theta = Torch.Randn([dim, projections], gen, DType.Float64).To(fa.Device);
        theta = theta / theta.Norm(2, [0], keepDim: true);
        var pa = SortedProjections(fa, theta);
        var pb = SortedProjections(fb, theta);

        var na = fa.Size(0);
        var nb = fb.Size(0);
        var total = 0.0;
        for (var p = 0; p < projections; p++)
            total += QuantileW2Squared(pa.AsSpan((int)(p * na), (int)na), pb.AsSpan((int)(p * nb), (int)nb));
        return Math.Sqrt(total / projections);
    }

    /// <summary>W₂² between the empirical measures of two sorted 1-d samples: ∫₀¹ (F_a⁻¹ - F_b⁻¹)² du, exactly.</summary>
    public static double QuantileW2Squared(ReadOnlySpan<double> sortedA, ReadOnlySpan<double> sortedB)
    {
        if (sortedA.IsEmpty || sortedB.IsEmpty) throw new ArgumentException("both samples must be non-empty");
        // Quantile levels in units of 1/(N_a N_b) keep the breakpoints i/N_a and j/N_b exact integers.
        long na = sortedA.Length, nb = sortedB.Length;
        long i = 0, j = 0, at = 0;
        var sum = 0.0;
        while (i < na && j < nb)
        {
            var endA = (i + 1) * nb;
            var endB = (j + 1) * na;
            var next = Math.Min(endA, endB);
            var d = sortedA[(int)i] - sortedB[(int)j];
            sum += (next - at) * d * d;
            at = next;
            if (endA == next) i++;
            if (endB == next) j++;
        }
        return sum / ((double)na * nb);
    }

    // [N, D] x [D, P] → sorted along N, returned projection-major ([P, N] row-major) for contiguous 1-d slices.
    private static double[] SortedProjections(Tensor x, Tensor theta)
    {
        var (values, _) = x.MatMul(theta).Sort(0);
        return values.T.Contiguous().ToArray<double>();
    }
}
