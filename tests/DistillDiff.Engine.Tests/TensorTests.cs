namespace DistillDiff.Engine.Tests;

using System.Runtime.InteropServices;

/// <summary>Creation, dtypes, randomness, arithmetic, reductions, views, joins: values written out by hand.</summary>
public class TensorTests
{
    [Fact]
    public void AddsAndReadsBack()
    {
        using var scope = Torch.NewDisposeScope();
        var a = Torch.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2);
        var b = a * 2 + 1;
        Assert.Equal(new float[] { 3, 5, 7, 9 }, b.ToArray<float>());
        Assert.Equal(new long[] { 2, 2 }, b.Shape);
        Assert.Equal(24.0, b.Sum().Item());
    }

    [Fact]
    public void CreationFunctions()
    {
        using var scope = Torch.NewDisposeScope();
        Assert.Equal(new float[6], Torch.Zeros(2, 3).ToArray<float>());
        Assert.Equal(DType.Float32, Torch.Zeros(2, 3).DType);
        Assert.Equal(Enumerable.Repeat(1.0, 4), Torch.Ones([4], DType.Float64).ToArray<double>());
        Assert.Equal(new long[] { 7, 7, 7 }, Torch.Full([3], 7, DType.Int64).ToArray<long>());
        Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, Torch.Arange(5).ToArray<long>());
        Assert.Equal(new float[] { 1, 1.5f, 2, 2.5f }, Torch.Arange(1, 3, 0.5).ToArray<float>());
        Assert.Equal(new double[] { 0, 0.25, 0.5, 0.75, 1 }, Torch.Linspace(0, 1, 5, DType.Float64).ToArray<double>());
        Assert.Equal(new float[] { 1, 0, 0, 0, 1, 0, 0, 0, 1 }, Torch.Eye(3).ToArray<float>());
        Assert.Equal(new[] { 3.5 }, Torch.Scalar(3.5, DType.Float64).ToArray<double>());
        Assert.Empty(Torch.Scalar(1).Shape);
        Assert.Equal(new long[] { 2, 0 }, Torch.Empty(2, 0).Shape);

        var t = Torch.FromArray(new int[] { 1, 2, 3 });
        Assert.Equal(new int[] { 0, 0, 0 }, Torch.ZerosLike(t).ToArray<int>());
        Assert.Equal(new int[] { 4, 4, 4 }, Torch.FullLike(t, 4).ToArray<int>());
        Assert.Equal(DType.Int32, Torch.OnesLike(t).DType);
    }

    [Fact]
    public void EveryDTypeRoundTripsThroughBytes()
    {
        using var scope = Torch.NewDisposeScope();
        void RoundTrip(DType dtype, byte[] bytes, long n)
        {
            var t = Torch.FromBytes(bytes, [n], dtype);
            Assert.Equal(dtype, t.DType);
            Assert.Equal(bytes, t.ToBytes());
            Assert.Equal(bytes, t.Clone().Contiguous().ToBytes());
        }
        RoundTrip(DType.Float32, MemoryMarshal.AsBytes<float>([1.5f, -2.25f, float.MaxValue]).ToArray(), 3);
        RoundTrip(DType.Float64, MemoryMarshal.AsBytes<double>([Math.PI, -1e-300]).ToArray(), 2);
        RoundTrip(DType.Float16, MemoryMarshal.AsBytes<Half>([(Half)0.5, (Half)(-3), Half.MaxValue]).ToArray(), 3);
        RoundTrip(DType.BFloat16, [0x80, 0x3F, 0x00, 0xC0], 2);   // bf16 1.0, -2.0 (upper halves of the float32 bits)
        RoundTrip(DType.Int64, MemoryMarshal.AsBytes<long>([long.MinValue, 42]).ToArray(), 2);
        RoundTrip(DType.Int32, MemoryMarshal.AsBytes<int>([int.MaxValue, -7]).ToArray(), 2);
        RoundTrip(DType.UInt8, [0, 255, 128], 3);
        RoundTrip(DType.Bool, [1, 0, 1], 3);

        // The values, not only the bytes: bf16 1.0 and -2.0, and f16 through float conversion.
        Assert.Equal(new float[] { 1, -2 }, Torch.FromBytes([0x80, 0x3F, 0x00, 0xC0], [2], DType.BFloat16).Float().ToArray<float>());
        Assert.Equal(new float[] { 0.5f, -3 }, Torch.FromArray(new Half[] { (Half)0.5, (Half)(-3) }).Float().ToArray<float>());
        Assert.Equal(new[] { true, false }, Torch.FromArray(new[] { true, false }).ToArray<bool>());
        Assert.Equal(new byte[] { 1, 0, 1 }, Torch.FromArray(new float[] { 2, 0, -1 }).To(DType.Bool).To(DType.UInt8).ToArray<byte>());
    }

    [Fact]
    public void SeededGeneratorsReproduceAndStatesReplay()
    {
        using var scope = Torch.NewDisposeScope();
        using var g1 = new Generator(123);
        using var g2 = new Generator(123);
        using var g3 = new Generator(124);
        var a = Torch.Randn([16], g1);
        Assert.True(a.Equal(Torch.Randn([16], g2)));
        Assert.False(a.Equal(Torch.Randn([16], g3)));

        var state = g1.GetState();
        var next = Torch.Randn([8], g1);
        var u = Torch.Rand([8], g1);
        var ints = Torch.RandInt(0, 10, [8], g1);
        g1.SetState(state);
        Assert.True(next.Equal(Torch.Randn([8], g1)));
        Assert.True(u.Equal(Torch.Rand([8], g1)));
        Assert.True(ints.Equal(Torch.RandInt(0, 10, [8], g1)));

        g3.SetState(state);   // a generator takes another one's state
        Assert.True(next.Equal(Torch.Randn([8], g3)));

        g2.Seed(123);
        Assert.True(a.Equal(Torch.Randn([16], g2)));
        var perm = Torch.RandPerm(10, g2).ToArray<long>();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), perm.Order());
        var uniform = Torch.Rand([1000], g2).ToArray<float>();
        Assert.All(uniform, v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void OperatorsBroadcastAndTakeScalarsOnBothSides()
    {
        using var scope = Torch.NewDisposeScope();
        var x = Torch.FromArray(new float[] { 1, 2, 4, 8 }, 2, 2);
        var row = Torch.FromArray(new float[] { 10, 20 }, 1, 2);
        var col = Torch.FromArray(new float[] { 1, -1 }, 2, 1);

        Assert.Equal(new float[] { 11, 22, 14, 28 }, (x + row).ToArray<float>());
        Assert.Equal(new float[] { 1, 2, -4, -8 }, (x * col).ToArray<float>());
        Assert.Equal(new float[] { 11, 21, 9, 19 }, (row + col).ToArray<float>());
        Assert.Equal(new float[] { 1, 0, -2, -6 }, (2 - x).ToArray<float>());
        Assert.Equal(new float[] { -1, 0, 2, 6 }, (x - 2).ToArray<float>());
        Assert.Equal(new float[] { 2, 1, 0.5f, 0.25f }, (2 / x).ToArray<float>());
        Assert.Equal(new float[] { 0.5f, 1, 2, 4 }, (x / 2).ToArray<float>());
        Assert.Equal(new float[] { 3, 6, 12, 24 }, (3 * x).ToArray<float>());
        Assert.Equal(new float[] { 6, 7, 9, 13 }, (5 + x).ToArray<float>());
        Assert.Equal(new float[] { -1, -2, -4, -8 }, (-x).ToArray<float>());
        Assert.Equal(new float[] { 1, 4, 16, 64 }, x.Pow(2).ToArray<float>());
        Assert.Equal(new float[] { 0.1f, 0.1f, 0.4f, 0.4f }, (x / Torch.FromArray(new float[] { 10, 20 })).ToArray<float>());
        Assert.Equal(new[] { false, true, true, false }, ((x > 1) & (x < 8)).ToArray<bool>());
        Assert.Equal(new[] { true, false, false, true }, (!((x > 1) & (x < 8))).ToArray<bool>());
        Assert.Equal(new[] { false, false, true, true }, (x >= row.Div(5)).ToArray<bool>());
        Assert.Equal(new[] { false, true, false, false }, x.Eq(2).ToArray<bool>());
    }

    [Fact]
    public void IntegerTensorsStayIntegerWithIntegralScalars()
    {
        // As with a Python int in PyTorch: timesteps * 2 or 999 - t must not turn int64 indices into floats.
        using var scope = Torch.NewDisposeScope();
        var t = Torch.Arange(4);
        Assert.Equal(DType.Int64, (t * 2).DType);
        Assert.Equal(new long[] { 999, 998, 997, 996 }, (999 - t).ToArray<long>());
        Assert.Equal(new long[] { 1, 2, 3, 4 }, (t + 1).ToArray<long>());
        Assert.Equal(new long[] { 0, 2, 4, 6 }, (t + t).ToArray<long>());
        Assert.Equal(new long[] { 0, 0, 0, 0 }, (t - t).ToArray<long>());
        Assert.Equal(new long[] { 0, 1, 4, 9 }, t.Pow(2).ToArray<long>());
        Assert.Equal(new long[] { 1, 1, 2, 3 }, t.Clamp(1, 3).ToArray<long>());
        Assert.Equal(new long[] { 5, 6, 7, 8 }, t.Clone().Add_(5).ToArray<long>());
        Assert.Equal(new long[] { 0, 3, 6, 9 }, t.Clone().Mul_(3).ToArray<long>());
        Assert.Equal(new long[] { 0, 2, 4, 6 }, t.Clone().Add_(t).ToArray<long>());
        Assert.Equal(new float[] { 0, 0.5f, 1, 1.5f }, (t * 0.5).ToArray<float>());
        Assert.Equal(new float[] { 0, 0.5f, 1, 1.5f }, (t / 2).ToArray<float>());
        Assert.Equal(DType.Float32, (t.Float() * 2).DType);
        Assert.Equal(new double[] { 1, 2, 3, 4 }, (t.Double() + 1).ToArray<double>());
    }

    [Fact]
    public void ReductionsWithDimsAndKeepDim()
    {
        using var scope = Torch.NewDisposeScope();
        var x = Torch.Arange(0, 6, 1, DType.Float64).Reshape(2, 3);   // [[0 1 2] [3 4 5]]
        Assert.Equal(15.0, x.Sum().Item());
        Assert.Equal(new double[] { 3, 5, 7 }, x.Sum(0).ToArray<double>());
        Assert.Equal(new long[] { 2, 1 }, x.Sum([1], keepDim: true).Shape);
        Assert.Equal(new double[] { 3, 12 }, x.Sum([1], keepDim: true).ToArray<double>());
        Assert.Equal(new double[] { 1, 4 }, x.Mean(1).ToArray<double>());
        Assert.Equal(2.5, x.Mean().Item());
        Assert.Equal(new double[] { 2, 5 }, x.Amax(-1).ToArray<double>());
        Assert.Equal(new double[] { 0, 1, 2 }, x.Amin(0).ToArray<double>());
        Assert.Equal(5.0, x.Max().Item());
        Assert.Equal(3.5, x.Var().Item(), 12);                          // unbiased: sum((x - 2.5)^2) / 5
        Assert.Equal(17.5 / 6, x.Var(unbiased: false).Item(), 12);
        Assert.Equal(new double[] { 1, 1 }, x.Std([1]).ToArray<double>());
        Assert.Equal(Math.Sqrt(55), x.Norm().Item(), 12);
        Assert.Equal(new double[] { 3, 12 }, x.Norm(1, [1]).ToArray<double>());
        Assert.Equal(new long[] { 2, 2 }, x.ArgMax(1).ToArray<long>());
        Assert.Equal(new long[] { 1, 1, 1 }, x.ArgMax(0).ToArray<long>());
        Assert.Equal(new double[] { 0, 1, 3, 3, 7, 12 }, x.CumSum(1).ToArray<double>());
        Assert.Equal(0.0, x.Prod().Item());
        Assert.Equal(Math.Log(Math.Exp(0) + Math.Exp(1) + Math.Exp(2)), x.LogSumExp([1]).ToArray<double>()[0], 12);
        Assert.Equal(Math.Log(Enumerable.Range(0, 6).Sum(i => Math.Exp(i))), x.LogSumExp([]).Item(), 12);
        Assert.Equal(new long[] { 1, 1 }, x.LogSumExp([], keepDim: true).Shape);
        Assert.Equal(new long[] { 1, 1 }, x.Sum([], keepDim: true).Shape);   // all dims, kept as size 1 (keepdim=True)
        Assert.Equal(new long[] { 1, 1 }, x.Mean([], keepDim: true).Shape);
        Assert.Equal(new long[] { 1, 1 }, x.Amax([], keepDim: true).Shape);
        Assert.Equal(new long[] { 1, 1 }, x.Var(keepDim: true).Shape);
        Assert.Equal(new long[] { 1, 1 }, x.Norm(keepDim: true).Shape);
        Assert.Empty(x.Sum().Shape);
        Assert.Equal(3.0, Torch.Scalar(3).Sum().Item());                     // 0-d inputs
        Assert.Equal(3.0, Torch.Scalar(3).LogSumExp([]).Item(), 6);
        Assert.Equal(3.0, Torch.Scalar(3).Amax().Item());
        Assert.Equal(DType.Int64, Torch.Arange(4).Sum().DType);
        Assert.Equal(6L, Torch.Arange(4).Sum().ItemLong());
        Assert.Equal(new long[] { 0, 3 }, Torch.Arange(6).Reshape(2, 3).Amin([1]).ToArray<long>());
        Assert.True(x.Gt(-1).All().ToArray<bool>()[0]);
        Assert.False(x.Gt(4.5).All().ToArray<bool>()[0]);
        Assert.True(x.Gt(4.5).Any().ToArray<bool>()[0]);
        var (values, indices) = Torch.FromArray(new float[] { 3, 1, 2 }).Sort(descending: true);
        Assert.Equal(new float[] { 3, 2, 1 }, values.ToArray<float>());
        Assert.Equal(new long[] { 0, 2, 1 }, indices.ToArray<long>());
    }

    [Fact]
    public void ViewsReshapePermuteSliceAndIndex()
    {
        using var scope = Torch.NewDisposeScope();
        var x = Torch.Arange(24).Reshape(2, 3, 4);
        Assert.Equal(new long[] { 6, 4 }, x.Reshape(-1, 4).Shape);
        Assert.Equal(new long[] { 4, 2, 3 }, x.Permute(2, 0, 1).Shape);
        Assert.Equal(new long[] { 1, 5, 9, 13, 17, 21 }, x.Permute(2, 0, 1)[1].Contiguous().View(-1).ToArray<long>());
        Assert.False(x.Permute(2, 0, 1).IsContiguous);
        Assert.Equal(new long[] { 5, 6 }, x[0, 1, 1..3].ToArray<long>());
        Assert.Equal(new long[] { 2, 2 }, x[0, 1..3, 1..3].Shape);
        Assert.Equal(new long[] { 5, 6, 9, 10 }, x[0, 1..3, 1..3].ToArray<long>());
        Assert.Equal(new long[] { 20, 21, 22, 23 }, x[1, ^1].ToArray<long>());
        Assert.Equal(new long[] { 1, 3, 4 }, x[1..].Shape);
        Assert.Equal(new long[] { 12 }, x[1][0, 0..1].ToArray<long>());
        Assert.Equal(new long[] { 1, 2, 3, 4 }, x[TensorIndex.NewAxis].Shape);
        Assert.Equal(new long[] { 3, 1, 4 }, x[0, .., TensorIndex.NewAxis].Shape);
        Assert.Equal(new long[] { 2, 1, 3, 4 }, x[.., TensorIndex.NewAxis].Shape);
        Assert.Equal(new long[] { 3, 7, 11 }, x[0, .., ^1].ToArray<long>());
        Assert.Equal(new long[] { 20, 21, 22, 23 }, x[^1, ^1].ToArray<long>());
        Assert.Equal(new long[] { 2, 4 }, x.Select(1, 2).Shape);
        Assert.Equal(new long[] { 1, 3, 5, 7 }, Torch.Arange(8).Slice(0, 1, 100, 2).ToArray<long>());
        Assert.Equal(new long[] { 3, 4, 5 }, Torch.Arange(8).Narrow(0, 3, 3).ToArray<long>());
        Assert.Equal(new long[] { 4, 3, 2 }, x.Transpose(0, 2).Shape);
        Assert.Equal(new long[] { 2, 12 }, x.Flatten(1).Shape);
        Assert.Equal(new long[] { 3, 4 }, x[..1].Squeeze(0).Shape);
        Assert.Equal(new long[] { 2, 1, 3, 4 }, x.Unsqueeze(1).Shape);
        Assert.Equal(new long[] { 2, 3, 4 }, x.Unsqueeze(1).Squeeze().Shape);

        // A view shares storage: writing through it changes the base.
        var y = Torch.Zeros(2, 3);
        y[1].Fill_(5);
        Assert.Equal(new float[] { 0, 0, 0, 5, 5, 5 }, y.ToArray<float>());

        var idx = Torch.FromArray(new long[] { 2, 0 });
        Assert.Equal(new long[] { 8, 9, 10, 11, 0, 1, 2, 3 }, x[0].Index(idx).ToArray<long>());
        Assert.Equal(new long[] { 2, 0, 6, 4 }, x[0, ..2].IndexSelect(1, idx).ToArray<long>());
        Assert.Equal(new long[] { 10, 20 }, Torch.FromArray(new long[] { 10, 15, 20 }).MaskedSelect(Torch.FromArray(new[] { true, false, true })).ToArray<long>());
        Assert.Equal(new long[] { 2, 4 }, Torch.FromArray(new long[] { 1, 2, 3, 4 }, 2, 2).Gather(1, Torch.FromArray(new long[] { 1, 1 }, 2, 1)).ToArray<long>());
    }

    [Fact]
    public void CatStackChunkSplit()
    {
        using var scope = Torch.NewDisposeScope();
        var a = Torch.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2);
        var b = Torch.FromArray(new float[] { 5, 6 }, 1, 2);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, Torch.Cat([a, b]).ToArray<float>());
        Assert.Equal(new long[] { 3, 2 }, Torch.Cat([a, b]).Shape);
        Assert.Equal(new float[] { 1, 2, 1, 3, 4, 3 }, Torch.Cat([a, a.Select(1, 0).Unsqueeze(1)], 1).ToArray<float>());
        Assert.Equal(new long[] { 2, 2, 2 }, Torch.Stack([a, a * 2]).Shape);
        Assert.Equal(new float[] { 1, 2, 2, 4, 3, 6, 4, 8 }, Torch.Stack([a, a * 2], -1).ToArray<float>());

        var r = Torch.Arange(7);
        var chunks = r.Chunk(3);
        Assert.Equal(3, chunks.Length);
        Assert.Equal(new long[] { 0, 1, 2 }, chunks[0].ToArray<long>());
        Assert.Equal(new long[] { 6 }, chunks[2].ToArray<long>());
        var parts = r.Split([2, 5]);
        Assert.Equal(new long[] { 0, 1 }, parts[0].ToArray<long>());
        Assert.Equal(new long[] { 2, 3, 4, 5, 6 }, parts[1].ToArray<long>());
        Assert.Throws<TorchException>(() => r.Split([2, 2]));
        var cols = Torch.Arange(6).Reshape(2, 3).Chunk(3, 1);
        Assert.Equal(new long[] { 1, 4 }, cols[1].Reshape(-1).ToArray<long>());
    }

    [Fact]
    public void MatMulWhereClampLerp()
    {
        using var scope = Torch.NewDisposeScope();
        var a = Torch.FromArray(new double[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var b = Torch.FromArray(new double[] { 1, 0, 0, 1, 2, -1 }, 3, 2);
        Assert.Equal(new double[] { 7, -1, 16, -1 }, a.MatMul(b).ToArray<double>());
        Assert.Equal(new double[] { 14, 32 }, a.MatMul(Torch.FromArray(new double[] { 1, 2, 3 })).ToArray<double>());
        Assert.Equal(new long[] { 4, 2, 2 }, Torch.Ones([4, 2, 3], DType.Float64).MatMul(b).Shape);   // batched
        Assert.Equal(new double[] { 7, -1, 16, -1 }, a.Unsqueeze(0).Bmm(b.Unsqueeze(0)).ToArray<double>());
        Assert.Equal(new double[] { 1, 2, 2, 4 }, Torch.FromArray(new double[] { 1, 2 }).Outer(Torch.FromArray(new double[] { 1, 2 })).ToArray<double>());
        Assert.Equal(new double[] { 1, 2, 3, 4, 5, 6 }, a.T.T.Contiguous().ToArray<double>());
        Assert.Equal(new double[] { 1, 4, 2, 5, 3, 6 }, a.T.Contiguous().ToArray<double>());
        Assert.Equal(new double[] { 1, 4, 2, 5, 3, 6 }, a.T.ToArray<double>());                  // a non-contiguous view copies out in logical order
        Assert.Equal(new double[] { 14, 32, 32, 77 }, Torch.Einsum("ij,kj->ik", a, a).ToArray<double>());

        var x = Torch.FromArray(new float[] { -2, -0.5f, 0.5f, 2 });
        Assert.Equal(new float[] { 0, 0, 0.5f, 2 }, Torch.Where(x > 0, x, Torch.Zeros(4)).ToArray<float>());
        Assert.Equal(new float[] { -1, -0.5f, 0.5f, 1 }, x.Clamp(-1, 1).ToArray<float>());
        Assert.Equal(new float[] { -0.5f, -0.5f, 0.5f, 2 }, x.Clamp(min: -0.5).ToArray<float>());
        Assert.Equal(new float[] { -2, -0.5f, 0, 0 }, x.Clamp(max: 0).ToArray<float>());
        Assert.Equal(new float[] { -1, -0.5f, 0.5f, 1 }, x.Clamp(Torch.Full([4], -1), Torch.Full([4], 1)).ToArray<float>());
        Assert.Equal(new float[] { -1, -0.25f, 0.25f, 1 }, x.Lerp(Torch.Zeros(4), 0.5).ToArray<float>());
        Assert.Equal(new float[] { -2, -0.25f, 0.25f, 0 }, x.Lerp(Torch.Zeros(4), Torch.FromArray(new float[] { 0, 0.5f, 0.5f, 1 })).ToArray<float>());
        Assert.Equal(new float[] { -2, 9, 9, 2 }, x.MaskedFill(x.Abs() < 1, 9).ToArray<float>());
        Assert.True(Torch.AllFinite([x, Torch.Ones(2)]));
        Assert.False(Torch.AllFinite([x, Torch.FromArray(new float[] { 1, float.NaN })]));
        Assert.False(Torch.AllFinite([Torch.FromArray(new float[] { float.PositiveInfinity })]));
    }

    [Fact]
    public void ItemAndItemLong()
    {
        using var scope = Torch.NewDisposeScope();
        Assert.Equal(2.5, Torch.Scalar(2.5, DType.Float64).Item());
        Assert.Equal(1L << 40, Torch.Full([1], 1L << 40, DType.Int64).ItemLong());
        Assert.Equal(7L, Torch.Arange(10)[7].ItemLong());
        Assert.Equal(9L, Torch.Arange(10)[-1].ItemLong());
        Assert.Equal(8L, Torch.Arange(10)[^2].ItemLong());
        Assert.Equal(1.0, Torch.Full([], 1, DType.Bool).Item());
        Assert.Throws<TorchException>(() => Torch.Zeros(2).Item());
    }

    [Fact]
    public void DeviceAndDTypeParsing()
    {
        Assert.Equal(new Device(DeviceType.CUDA, 1), Device.Parse("cuda:1"));
        Assert.Equal(Device.CUDA(0), Device.Parse(" CUDA "));
        Assert.Equal(Device.CPU, Device.Parse("cpu"));
        Assert.Equal("cuda:1", Device.Parse("cuda:1").ToString());
        Assert.Equal(Torch.Cuda.IsAvailable ? Device.CUDA(0) : Device.CPU, Device.Parse("auto"));
        foreach (var bad in new[] { "gpu", "cuda:", "cuda:-1", "cuda:x", "" })
            Assert.Contains("unknown device", Assert.Throws<ArgumentException>(() => Device.Parse(bad)).Message);

        Assert.Equal(DType.BFloat16, DTypes.Parse("bf16"));
        Assert.Equal(DType.Float16, DTypes.Parse("Half"));
        Assert.Equal(DType.Float32, DTypes.Parse("float"));
        Assert.Equal(DType.Int64, DTypes.Parse("long"));
        var ex = Assert.Throws<ArgumentException>(() => DTypes.Parse("float8"));
        Assert.Contains("unknown dtype 'float8'", ex.Message);
        Assert.Contains("bfloat16", ex.Message);
        Assert.Throws<ArgumentException>(() => DTypes.Of<decimal>());
        Assert.Equal(2, DType.BFloat16.ElementSize());
        Assert.True(DType.BFloat16.IsFloatingPoint());
        Assert.False(DType.Int32.IsFloatingPoint());
    }

    [Fact]
    public void MetadataAndConversions()
    {
        using var scope = Torch.NewDisposeScope();
        var x = Torch.Ones([2, 3, 4], DType.Float16);
        Assert.Equal(3, x.Dim);
        Assert.Equal(24, x.NumEl);
        Assert.Equal(4, x.Size(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Size(3));
        Assert.Equal(Device.CPU, x.Device);
        Assert.Equal(DType.Float64, x.Double().DType);
        Assert.Equal(DType.Int64, Torch.FromArray(new float[] { 1.7f, -1.7f }).Long().DType);
        Assert.Equal(new long[] { 1, -1 }, Torch.FromArray(new float[] { 1.7f, -1.7f }).Long().ToArray<long>());
        Assert.Contains("shape=[2, 3, 4]", x.ToString());
        Assert.Contains("float16", x.ToString());
        Assert.Contains("1", Torch.Ones(1).ToDataString());
        var nchw = Torch.Ones(1, 3, 2, 2);
        Assert.False(nchw.ChannelsLast().IsContiguous);
        Assert.True(nchw.ChannelsLast().Contiguous().IsContiguous);
    }
}
