namespace DistillDiff.Models.Tests;

using DistillDiff.Engine;
using DistillDiff.Models.Blocks;

public class TimestepEncodingTests
{
    // diffusers get_timestep_embedding: freq_i = exp(-ln(10000) i / (half - shift)), emb = [sin(t f), cos(t f)].
    private static double[] HandComputed(double t, int dim, bool flip, double shift)
    {
        var half = dim / 2;
        var sin = new double[half];
        var cos = new double[half];
        for (var i = 0; i < half; i++)
        {
            var f = Math.Exp(-Math.Log(10000) * i / (half - shift));
            sin[i] = Math.Sin(t * f);
            cos[i] = Math.Cos(t * f);
        }
        var emb = flip ? cos.Concat(sin) : sin.Concat(cos);
        return (dim % 2 == 1 ? emb.Append(0.0) : emb).ToArray();
    }

    [Theory]
    [InlineData(3.0, 8, false, 1.0)]    // DDPM layout (flip_sin_to_cos false, freq_shift 1)
    [InlineData(999.0, 8, true, 0.0)]   // diffusers' defaults
    [InlineData(250.0, 7, false, 1.0)]  // odd dim: zero column appended
    public void MatchesHandComputedValues(double t, int dim, bool flip, double shift)
    {
        using var scope = Torch.NewDisposeScope();
        var emb = TimestepEncoding.Sinusoidal(Torch.FromArray(new float[] { (float)t }), dim, flip, shift);
        Assert.Equal(new long[] { 1, dim }, emb.Shape);
        var got = emb.ToArray<float>();
        var want = HandComputed(t, dim, flip, shift);
        for (var i = 0; i < dim; i++) Assert.True(Math.Abs(got[i] - want[i]) < 2e-4, $"column {i}: {got[i]} vs {want[i]}");
    }

    [Fact]
    public void DdpmFirstColumnsAtT3AreExplicitNumbers()
    {
        // half = 4, shift 1: frequencies 1, 10000^(-1/3), 10000^(-2/3), 10^-4.
        using var scope = Torch.NewDisposeScope();
        var got = TimestepEncoding.Sinusoidal(Torch.FromArray(new float[] { 3 }), 8, false, 1).ToArray<float>();
        Assert.Equal(Math.Sin(3), got[0], 5);
        Assert.Equal(Math.Sin(3 * 0.046415888336127774), got[1], 5);
        Assert.Equal(Math.Sin(3e-4), got[3], 6);
        Assert.Equal(Math.Cos(3), got[4], 5);
        Assert.Equal(Math.Cos(3e-4), got[7], 6);
    }

    /// <summary>
    /// Bit for bit diffusers' get_timestep_embedding, whose float32 order is (-ln(10000) * arange) / (half - shift), exp,
    /// * t: expected bits from tools/diffusers_reference.py, which runs those torch operations (Debian's python3-torch
    /// 1.13, the libtorch this project runs on). Folding the two constants first moves 7 of the 16 frequencies of the
    /// 32-wide, shift-1 case by one unit in the last place (the script counts them), so this fails for the old order.
    /// </summary>
    [Fact]
    public void IsDiffusersEmbeddingBitForBit()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "timestep_embedding_reference.json")));
        foreach (var c in doc.RootElement.GetProperty("embedding").EnumerateArray())
        {
            var (dim, flip, shift) = (c.GetProperty("dim").GetInt32(), c.GetProperty("flip").GetBoolean(), c.GetProperty("shift").GetDouble());
            var ts = c.GetProperty("timesteps").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
            var bits = c.GetProperty("bits").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            using var scope = Torch.NewDisposeScope();
            var got = TimestepEncoding.Sinusoidal(Torch.FromArray(ts), dim, flip, shift).ToArray<float>();
            Assert.Equal(bits.Length, got.Length);
            // The bits are libtorch 1.13's: other versions' exp/sin/cos kernels round differently (on 2.6, 24 of 128
            // values of the 32-wide case), so there the check is at most 2 units in the last place; 1.13 stays exact.
            var ulps = Torch.LibTorchVersion.Major == 1 ? 0 : 2;
            var differing = Enumerable.Range(0, got.Length).Where(i => Math.Abs((long)BitConverter.SingleToInt32Bits(got[i]) - bits[i]) > ulps).ToList();
            Assert.True(differing.Count == 0, $"dim {dim}: {differing.Count} of {got.Length} values differ from diffusers' bits by more than {ulps} ulp, first at {differing.FirstOrDefault()}");
        }
    }

    [Fact]
    public void BroadcastsASingleTimestepAndRejectsAMismatch()
    {
        using var scope = Torch.NewDisposeScope();
        var t = TimestepEncoding.ToBatch(Torch.Scalar(5, DType.Int64), 3, Device.CPU);
        Assert.Equal(new float[] { 5, 5, 5 }, t.ToArray<float>());
        Assert.Throws<ArgumentException>(() => TimestepEncoding.ToBatch(Torch.Zeros(2), 3, Device.CPU));
    }
}
