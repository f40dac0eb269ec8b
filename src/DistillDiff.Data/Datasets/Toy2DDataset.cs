namespace DistillDiff.Data.Datasets;

using DistillDiff.Engine;

/// <summary>
/// Synthetic 2-d point sets for quick distillation experiments, where sample quality can be judged by eye and by
/// exact metrics. The random stream is <see cref="Xoshiro256StarStar"/> (integer arithmetic, identical everywhere);
/// shapes are computed from it in double and stored as float32, so a seed gives the same points on any machine
/// (a last-bit difference between platforms' sin/cos/log would have to straddle a float32 rounding boundary to show).
/// <para>Scaling: the diffusion prior is N(0, I), so each kind is centred and scaled isotropically so that its
/// noiseless population has mean 0 and E||x||² = 2 (per-coordinate RMS 1), before <c>noise</c> (Gaussian, std in
/// output units) is added:</para>
/// <list type="table">
/// <item><term>gaussian_mixture</term><description>8 Gaussians at angles 2πk/8 on a circle of radius 2 (the
/// usual benchmark ring, e.g. Metz et al. 2017, kept for comparability: per-coordinate RMS √2); noise 0.1;
/// label = component k.</description></item>
/// <item><term>two_moons</term><description>scikit-learn's moons, (cos t, sin t) and (1 - cos t, 1/2 - sin t) for t
/// uniform in [0, π], centred at (1/2, 1/4) and scaled by 1/√(v/2), v = 3/4 + 1/2 - 4/π² + (2/π - 1/4)² their
/// total variance (≈ 1.418); noise 0.1; label = moon (0 upper, 1 lower).</description></item>
/// <item><term>checkerboard</term><description>uniform on the 8 dark squares of a 4x4 board spanning [-√3, √3]²
/// (uniform marginals of variance 1); noise 0; unlabelled.</description></item>
/// <item><term>swiss_roll</term><description>the 2-d roll (t cos t, t sin t), t uniform in [3π/2, 9π/2] (as
/// scikit-learn's make_swiss_roll), centred at its exact mean and scaled by its exact RMS; noise 0.05; unlabelled.</description></item>
/// </list>
/// </summary>
public sealed class Toy2DDataset : IDataset
{
    /// <summary>The kinds this class generates.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["gaussian_mixture", "two_moons", "checkerboard", "swiss_roll"];

    private const int MixtureComponents = 8;
    private const double MixtureRadius = 2;
    private const double RollStart = 1.5 * Math.PI, RollEnd = 4.5 * Math.PI;

    // Two moons: variance of the mixture = within-moon (1/2 in x, 1/2 - 4/π² in y) + between-moon ((1/2)² in x,
    // (2/π - 1/4)² in y).
    private static readonly double MoonScale = 1 / Math.Sqrt((0.75 + 0.5 - 4 / (Math.PI * Math.PI) + Math.Pow(2 / Math.PI - 0.25, 2)) / 2);

    // Swiss roll, exact moments for t ~ U[a, b]: ∫t cos t = t sin t + cos t, ∫t sin t = sin t - t cos t,
    // E t² = (b³ - a³) / 3(b - a).
    private static readonly double RollMeanX =
        (RollEnd * Math.Sin(RollEnd) + Math.Cos(RollEnd) - RollStart * Math.Sin(RollStart) - Math.Cos(RollStart)) / (RollEnd - RollStart);
    private static readonly double RollMeanY =
        (Math.Sin(RollEnd) - RollEnd * Math.Cos(RollEnd) - Math.Sin(RollStart) + RollStart * Math.Cos(RollStart)) / (RollEnd - RollStart);
    private static readonly double RollScale = 1 / Math.Sqrt(
        ((Math.Pow(RollEnd, 3) - Math.Pow(RollStart, 3)) / (3 * (RollEnd - RollStart)) - RollMeanX * RollMeanX - RollMeanY * RollMeanY) / 2);

    private readonly float[] _points; // [Count, 2] row-major
    private readonly long[]? _labels;

    /// <param name="kind">One of <see cref="Kinds"/>.</param>
    /// <param name="count">Number of points.</param>
    /// <param name="seed">Fixes the points.</param>
    /// <param name="noise">Std of the Gaussian noise added to each coordinate (output units); null for the kind's default.</param>
    public Toy2DDataset(string kind, long count, ulong seed, double? noise = null)
    {
        ArgumentNullException.ThrowIfNull(kind);
        if (!Kinds.Contains(kind))
            throw new ArgumentException($"unknown toy 2-d kind '{kind}' (expected one of: {string.Join(", ", Kinds)})", nameof(kind));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Array.MaxLength / 2);
        if (noise is { } n && !(n >= 0 && double.IsFinite(n)))
            throw new ArgumentOutOfRangeException(nameof(noise), noise, "the noise std must be finite and non-negative");

        Kind = kind;
        Noise = noise ?? kind switch { "gaussian_mixture" => 0.1, "two_moons" => 0.1, "swiss_roll" => 0.05, _ => 0.0 };
        NumClasses = kind switch { "gaussian_mixture" => MixtureComponents, "two_moons" => 2, _ => 0 };
        _points = new float[count * 2];
        _labels = NumClasses > 0 ? new long[count] : null;

        var rng = new Xoshiro256StarStar(seed);
        for (long i = 0; i < count; i++)
        {
            var (x, y, label) = kind switch
            {
                "gaussian_mixture" => Mixture(rng),
                "two_moons" => Moons(rng),
                "checkerboard" => Checkerboard(rng),
                _ => SwissRoll(rng),
            };
            if (Noise > 0)
            {
                x += Noise * rng.NextGaussian();
                y += Noise * rng.NextGaussian();
            }
            _points[2 * i] = (float)x;
            _points[2 * i + 1] = (float)y;
            if (_labels is not null) _labels[i] = label;
        }
    }

    public string Kind { get; }

    /// <summary>The noise std actually used (the kind's default when none was given).</summary>
    public double Noise { get; }

    public string Name => $"toy2d/{Kind}";

    public long Count => _points.Length / 2;

    public long[] SampleShape => [2];

    public int NumClasses { get; }

    /// <summary>All points as a new [Count, 2] float32 tensor (for metrics and plots).</summary>
    public Tensor All(Device device) => Torch.FromSpan<float>(_points, [Count, 2], device);

    /// <summary>data.pin_memory: null stages batches for a CUDA device through pinned memory; see <see cref="HostUpload"/>.</summary>
    public bool? PinMemory { get; init; }

    public Batch GetBatch(long[] indices, Device device)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var xs = new float[indices.Length * 2];
        var ys = _labels is null ? null : new long[indices.Length];
        for (var i = 0; i < indices.Length; i++)
        {
            var k = indices[i];
            if ((ulong)k >= (ulong)Count)
                throw new ArgumentOutOfRangeException(nameof(indices), k, $"index {k} (batch position {i}) is outside {Name}'s {Count} samples");
            xs[2 * i] = _points[2 * k];
            xs[2 * i + 1] = _points[2 * k + 1];
            if (ys is not null) ys[i] = _labels![k];
        }
        var x = HostUpload.Span<float>(xs, [indices.Length, 2], device, PinMemory);
        var labels = ys is null ? null : HostUpload.Span<long>(ys, [ys.Length], device, PinMemory);
        return new Batch(x, labels);
    }

    private static (double X, double Y, long Label) Mixture(Xoshiro256StarStar rng)
    {
        var k = (long)rng.NextBelow(MixtureComponents);
        var angle = 2 * Math.PI * k / MixtureComponents;
        return (MixtureRadius * Math.Cos(angle), MixtureRadius * Math.Sin(angle), k);
    }

    private static (double X, double Y, long Label) Moons(Xoshiro256StarStar rng)
    {
        var moon = (long)rng.NextBelow(2);
        var t = Math.PI * rng.NextDouble();
        var (x, y) = moon == 0 ? (Math.Cos(t), Math.Sin(t)) : (1 - Math.Cos(t), 0.5 - Math.Sin(t));
        return ((x - 0.5) * MoonScale, (y - 0.25) * MoonScale, moon);
    }

    private static (double X, double Y, long Label) Checkerboard(Xoshiro256StarStar rng)
    {
        const int squares = 4;
        var halfWidth = Math.Sqrt(3);
        var row = (int)rng.NextBelow(squares);
        var col = 2 * (int)rng.NextBelow(squares / 2) + row % 2; // dark squares: row + col even
        var side = 2 * halfWidth / squares;
        return (-halfWidth + (col + rng.NextDouble()) * side, -halfWidth + (row + rng.NextDouble()) * side, 0);
    }

    private static (double X, double Y, long Label) SwissRoll(Xoshiro256StarStar rng)
    {
        var t = RollStart + (RollEnd - RollStart) * rng.NextDouble();
        return ((t * Math.Cos(t) - RollMeanX) * RollScale, (t * Math.Sin(t) - RollMeanY) * RollScale, 0);
    }
}
