namespace DistillDiff.Export.Tests;

using DistillDiff.Export.Quantization;

/// <summary>Quantize → dequantize round trips against values worked out by hand.</summary>
public class QuantizationMathTests
{
    private static readonly float[] W = [0.1f, -0.25f, 0.6f, -1.0f];

    [Fact]
    public void EightBitSymmetricRoundTripOfAKnownChannel()
    {
        // scale = 1 / 127; 0.1 * 127 = 12.7 -> 13; -31.75 -> -32; 76.2 -> 76; -127 -> -127.
        var back = WeightQuantizer.FakeQuant(W, [1, 4], 0, 8, RangeMethod.MinMax);
        float[] expected = [13f / 127, -32f / 127, 76f / 127, -1f];
        for (var i = 0; i < 4; i++) Assert.Equal(expected[i], back[i], 6);
        // Errors by hand: |0.1 - 13/127| = 0.0023622, |0.25 - 32/127| = 0.0019685, |0.6 - 76/127| = 0.0015748, 0.
        Assert.Equal(0.0023622, W.Zip(back, (a, b) => Math.Abs(a - b)).Max(), 6);
    }

    [Fact]
    public void FourBitSymmetricRoundTripOfAKnownChannel()
    {
        // scale = 1 / 7; 0.7 -> 1; -1.75 -> -2; 4.2 -> 4; -7.
        var (levels, scales) = WeightQuantizer.Quantize(W, [1, 4], 0, 4, RangeMethod.MinMax);
        Assert.Equal(new sbyte[] { 1, -2, 4, -7 }, levels);
        Assert.Equal(1f / 7, scales[0], 7);
        var back = WeightQuantizer.FakeQuant(W, [1, 4], 0, 4, RangeMethod.MinMax);
        // Errors by hand: |0.1 - 1/7| = 0.0428571, |0.25 - 2/7| = 0.0357143, |0.6 - 4/7| = 0.0285714, 0.
        Assert.Equal(1.0 / 7 - 0.1, W.Zip(back, (a, b) => Math.Abs(a - b)).Max(), 6);
    }

    [Fact]
    public void PerChannelScalesFollowTheChannelAxis()
    {
        // [2 out, 2 in]: channel 0 spans 1.27, channel 1 spans 0.127, so their scales differ by 10x.
        float[] w = [1.27f, -0.5f, 0.127f, 0.05f];
        var (levels, scales) = WeightQuantizer.Quantize(w, [2, 2], 0, 8, RangeMethod.MinMax);
        Assert.Equal(0.01f, scales[0], 6);
        Assert.Equal(0.001f, scales[1], 6);
        Assert.Equal(new sbyte[] { 127, -50, 127, 50 }, levels);
        // Along axis 1 (a transposed weight) the columns are the channels.
        var (_, colScales) = WeightQuantizer.Quantize(w, [2, 2], 1, 8, RangeMethod.MinMax);
        Assert.Equal(1.27f / 127, colScales[0], 6);
        Assert.Equal(0.5f / 127, colScales[1], 6);
    }

    [Fact]
    public void Uint8ActivationRoundTripOfKnownValues()
    {
        // Range [-1, 3]: scale = 4 / 255, zero point = round(1 / scale) = round(63.75) = 64.
        var p = QuantParams.Uint8(-1, 3);
        Assert.Equal(4f / 255, p.Scale, 7);
        Assert.Equal(64, p.ZeroPoint);
        // 0.5 / scale = 31.875 -> 32, + 64 = 96 -> (96 - 64) * 4 / 255 = 0.5019608.
        Assert.Equal(96, p.Quantize(0.5f));
        Assert.Equal(0.5019608f, p.FakeQuant(0.5f), 6);
        // 5 clips at 255: (255 - 64) * 4 / 255 = 2.9960784, an error of 2.0039216.
        Assert.Equal(2.0039216, 5 - p.FakeQuant(5f), 5);
        // 0 is exact (padding and ReLU zeros must survive quantization).
        Assert.Equal(0f, p.FakeQuant(0f));
        // A range that does not contain 0 is widened to contain it.
        Assert.Equal(0, QuantParams.Uint8(2, 4).ZeroPoint);
    }

    [Fact]
    public void MseSearchClipsAnOutlierThatMinMaxKeeps()
    {
        var rng = new Random(3);
        var values = Enumerable.Range(0, 20000).Select(_ => (float)(rng.NextDouble() * 2 - 1)).Append(60f).ToArray();
        var minMax = RangeSearch.Activation(values, values.Min(), values.Max(), RangeMethod.MinMax);
        var mse = RangeSearch.Activation(values, values.Min(), values.Max(), RangeMethod.Mse);
        var percentile = RangeSearch.Activation(values, values.Min(), values.Max(), RangeMethod.Percentile);
        Assert.True(mse.Scale < minMax.Scale, $"MSE scale {mse.Scale} should clip below min-max {minMax.Scale}");
        Assert.True(RangeSearch.SquaredError(values, mse) < RangeSearch.SquaredError(values, minMax));
        Assert.True(percentile.Scale < minMax.Scale / 10, $"percentile range should ignore the single outlier (scale {percentile.Scale})");
    }

    [Fact]
    public void ActivationStatsOfAConcatAreTheUnionOfItsParts()
    {
        var rng = new Random(1);
        var small = new ActivationStats();
        small.Add([-1f, 0.5f, 1f], rng);
        var large = new ActivationStats();
        large.Add([-100f, 30f, 100f], rng);
        var merged = ActivationStats.Merge([small, large]);
        Assert.Equal((-100, 100), (merged.Min, merged.Max));
        Assert.Equal(6, merged.Count);
        // Split: the small half keeps a fine step; merged it would get a step 100x coarser.
        Assert.Equal(2f / 255, small.Params(RangeMethod.MinMax).Scale, 6);
        Assert.Equal(200f / 255, merged.Params(RangeMethod.MinMax).Scale, 4);
    }

    [Fact]
    public void LibtorchQuantDequantIsQuantizeLinearThenDequantizeLinear()
    {
        // scale 0.1, zero point 100: levels 0..255 cover [-10, 15.5]. Ties (0.05 = half a step, 0.25, -0.35) round to
        // even levels; values outside clip to the ends; the C# reference is QuantParams (ONNX's formula).
        var p = new QuantParams(0.1f, 100, 0, 255);
        float[] x = [0f, 0.05f, 0.15f, 0.25f, -0.35f, 1.234f, -9.99f, -10.04f, -50f, 15.5f, 15.56f, 99f, 3.14159f, -2.5f];
        using var scope = DistillDiff.Engine.Torch.NewDisposeScope();
        var got = FakeQuantModel.QuantDequant(DistillDiff.Engine.Torch.FromArray(x, x.Length), p).ToArray<float>();
        for (var i = 0; i < x.Length; i++) Assert.Equal(p.FakeQuant(x[i]), got[i]);
        Assert.Equal(-10f, got[8], 5);
        Assert.Equal(15.5f, got[11], 5);
    }
}
