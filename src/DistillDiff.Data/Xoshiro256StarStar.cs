namespace DistillDiff.Data;

/// <summary>
/// xoshiro256** (Blackman &amp; Vigna, "Scrambled linear pseudorandom number generators", 2021), seeded through
/// SplitMix64 as its authors recommend. Pure integer arithmetic, so a seed gives the same stream on every machine,
/// OS and .NET version, unlike System.Random (whose algorithm is not promised) or libtorch's vectorised kernels.
/// Used for data order and toy data, where a run must be replayable bit for bit.
/// </summary>
public sealed class Xoshiro256StarStar
{
    private const ulong Golden = 0x9E3779B97F4A7C15; // 2^64 / golden ratio: SplitMix64's increment
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>A generator for <paramref name="seed"/>; <paramref name="stream"/> picks an independent-looking
    /// sequence for the same seed (e.g. the epoch of a shuffle), so no generator state needs saving.</summary>
    public Xoshiro256StarStar(ulong seed, ulong stream = 0)
    {
        var sm = seed ^ SplitMix64Mix(stream * Golden + Golden);
        _s0 = SplitMix64Next(ref sm);
        _s1 = SplitMix64Next(ref sm);
        _s2 = SplitMix64Next(ref sm);
        _s3 = SplitMix64Next(ref sm);
    }

    /// <summary>SplitMix64's output function (Steele, Lea &amp; Flood 2014): a bijective 64-bit finaliser.</summary>
    public static ulong SplitMix64Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>One step of the SplitMix64 generator whose state is <paramref name="state"/>.</summary>
    public static ulong SplitMix64Next(ref ulong state)
    {
        state += Golden;
        return SplitMix64Mix(state);
    }

    public ulong NextUInt64()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, <paramref name="n"/>) without modulo bias (Lemire, "Fast random integer generation
    /// in an interval", 2019: multiply-shift with a rejection zone).</summary>
    public ulong NextBelow(ulong n)
    {
        ArgumentOutOfRangeException.ThrowIfZero(n);
        var high = Math.BigMul(NextUInt64(), n, out var low);
        if (low < n)
        {
            var threshold = (0 - n) % n;
            while (low < threshold) high = Math.BigMul(NextUInt64(), n, out low);
        }
        return high;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits: every value is a multiple of 2^-53.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A standard normal deviate by Box-Muller (one of the pair; 1 - u keeps the log finite).</summary>
    public double NextGaussian()
    {
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Shuffles <paramref name="items"/> in place by Fisher-Yates (Durstenfeld's variant, back to front).</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = (int)NextBelow((ulong)i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
