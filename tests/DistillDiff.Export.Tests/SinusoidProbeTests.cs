namespace DistillDiff.Export.Tests;

using DistillDiff.Engine;
using DistillDiff.Export.Onnx;
using DistillDiff.Models.Blocks;

public class SinusoidProbeTests
{
    private static float[] Eval(Func<Tensor, Tensor> f, float[] ts)
    {
        using var scope = Torch.NewDisposeScope();
        return f(Torch.FromArray(ts, ts.Length)).ToArray<float>();
    }

    [Theory]
    [InlineData(32, true, 0)]
    [InlineData(64, false, 1)]
    [InlineData(33, true, 1)] // odd dim: a zero column at the end
    public void RecoveredFrequenciesReproduceTheModelsFeaturesAtAnyTimestep(int dim, bool flip, int shift)
    {
        Tensor Features(Tensor t) => TimestepEncoding.Sinusoidal(t, dim, flip, shift);
        var (kinds, freqs) = SinusoidProbe.Probe(Features);
        var ts = new float[] { 0, 0.5f, 1, 17.25f, 249, 499.5f, 998.999f, 999 };
        var expected = Eval(Features, ts);
        for (var r = 0; r < ts.Length; r++)
            for (var j = 0; j < dim; j++)
            {
                var arg = ts[r] * freqs[j]; // the float32 product, as the exported graph computes it
                var v = kinds[j] switch { SinusoidColumn.Sin => Math.Sin(arg), SinusoidColumn.Cos => Math.Cos(arg), _ => 0 };
                Assert.True(Math.Abs(v - expected[r * dim + j]) < 1e-6, $"t = {ts[r]}, column {j}: {v} vs {expected[r * dim + j]}");
            }
        Assert.Equal(dim % 2 == 1 ? 1 : 0, kinds.Count(k => k == SinusoidColumn.Zero));
        // freq_0 = exp(0) = 1 whatever the shift; the first column is cos when flipped.
        Assert.Equal(flip ? SinusoidColumn.Cos : SinusoidColumn.Sin, kinds[0]);
        Assert.Equal(1f, freqs[0]);
    }

    [Fact]
    public void InterleavedLayoutWithHandPickedFrequenciesIsRecoveredExactly()
    {
        // [sin(0.3 t), cos(0.3 t), sin(0.001 t), cos(0.001 t)], a layout no model uses today.
        float[] f = [0.3f, 0.001f];
        Tensor Features(Tensor t)
        {
            var a = t.Unsqueeze(1) * Torch.FromArray(f, 1, 2);
            var (s, c) = (a.Sin(), a.Cos());
            return Torch.Cat([s.Narrow(1, 0, 1), c.Narrow(1, 0, 1), s.Narrow(1, 1, 1), c.Narrow(1, 1, 1)], 1);
        }
        var (kinds, freqs) = SinusoidProbe.Probe(Features);
        Assert.Equal([SinusoidColumn.Sin, SinusoidColumn.Cos, SinusoidColumn.Sin, SinusoidColumn.Cos], kinds);
        Assert.Equal([0.3f, 0.3f, 0.001f, 0.001f], freqs);
    }

    [Fact]
    public void FeaturesThatAreNotSinusoidsAreRefused()
    {
        var e = Assert.Throws<NotSupportedException>(() => SinusoidProbe.Probe(t => (t.Unsqueeze(1) * 0.01 + 0.5).Tanh()));
        Assert.Contains("neither sin nor cos", e.Message);
    }
}
