namespace DistillDiff.Engine.Tests;

using DistillDiff.Engine.Amp;

/// <summary>Autocast scopes: which dtype a matmul runs in, inside and outside, nested, and per thread.</summary>
public class AutocastTests
{
    private static DType MatMulDType()
    {
        using var scope = Torch.NewDisposeScope();
        return Torch.Ones(4, 4).MatMul(Torch.Ones(4, 4)).DType;
    }

    [Fact]
    public void MatMulRunsInBFloat16InsideTheScopeOnly()
    {
        Assert.Equal(DType.Float32, MatMulDType());
        using (Torch.Autocast(DType.BFloat16))
        {
            Assert.Equal((true, DType.BFloat16), AutocastScope.State(DeviceType.CPU));
            Assert.Equal(DType.BFloat16, MatMulDType());
            // Precision-sensitive ops stay float32 (autocast's fp32 list), whatever their input.
            using var s = Torch.NewDisposeScope();
            Assert.Equal(DType.Float32, Functional.MseLoss(Torch.Ones(3), Torch.Zeros(3)).DType);
        }
        Assert.False(AutocastScope.State(DeviceType.CPU).Enabled);
        Assert.Equal(DType.Float32, MatMulDType());
    }

    [Fact]
    public void NestedScopesRestoreWhatTheyFound()
    {
        using (Torch.Autocast(DType.BFloat16))
        {
            using (Torch.Autocast(DType.BFloat16, enabled: false))
            {
                Assert.Equal(DType.Float32, MatMulDType());
                using (Torch.Autocast(DType.BFloat16))
                    Assert.Equal(DType.BFloat16, MatMulDType());
                Assert.Equal(DType.Float32, MatMulDType());
            }
            Assert.Equal(DType.BFloat16, MatMulDType());
        }
        Assert.Equal(DType.Float32, MatMulDType());
        Assert.False(AutocastScope.State(DeviceType.CPU).Enabled);
    }

    [Fact]
    public void ScopesArePerThread()
    {
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        DType? otherInside = null;
        var other = new Thread(() =>
        {
            using (Torch.Autocast(DType.BFloat16))
            {
                otherInside = MatMulDType();
                started.Set();
                release.Wait();
            }
        });
        other.Start();
        started.Wait();
        // The other thread holds an open scope right now; this thread is unaffected.
        Assert.Equal(DType.Float32, MatMulDType());
        DType? otherOutside = null;
        using (Torch.Autocast(DType.BFloat16))
        {
            var t = new Thread(() => otherOutside = MatMulDType());
            t.Start();
            t.Join();
            Assert.Equal(DType.BFloat16, MatMulDType());
        }
        release.Set();
        other.Join();
        Assert.Equal(DType.BFloat16, otherInside);
        Assert.Equal(DType.Float32, otherOutside);
    }

    [Fact]
    public void DisposingOnAnotherThreadIsRefused()
    {
        var scope = Torch.Autocast(DType.BFloat16);
        Exception? error = null;
        var t = new Thread(() => error = Record.Exception(scope.Dispose));
        t.Start();
        t.Join();
        Assert.IsType<InvalidOperationException>(error);
        Assert.Contains("thread that opened it", error!.Message);
        scope.Dispose();
        scope.Dispose(); // idempotent
        Assert.Equal(DType.Float32, MatMulDType());
    }

    [Fact]
    public void Float32IsNotAnAutocastDType()
    {
        var e = Assert.Throws<ArgumentException>(() => Torch.Autocast(DType.Float32));
        Assert.Contains("bfloat16 or float16", e.Message);
        Assert.False(AutocastScope.State(DeviceType.CPU).Enabled);
    }

    [Fact]
    public void WeightsAreRecastAfterTheyChange()
    {
        // Autocast caches the bf16 copy of a weight (a leaf that requires grad) within a scope; leaving the outermost
        // scope must drop that cache, or the next forward would use the weights from before the optimizer step.
        using var scope = Torch.NewDisposeScope();
        var x = Torch.Ones(1, 2);
        var w = Torch.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2);
        w.RequiresGrad = true;
        using (Torch.Autocast(DType.BFloat16))
            Assert.Equal(new float[] { 4, 6 }, x.MatMul(w).Float().ToArray<float>());
        using (Torch.NoGrad()) w.Add_(Torch.Ones(2, 2));
        using (Torch.Autocast(DType.BFloat16))
            Assert.Equal(new float[] { 6, 8 }, x.MatMul(w).Float().ToArray<float>());
    }

    [Fact]
    public void GradientsOfFloat32WeightsAreFloat32AndCloseToTheFloat32Ones()
    {
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(11);
        var x = Torch.Randn([16, 8], gen);
        var w = Torch.Randn([8, 4], gen);
        w.RequiresGrad = true;
        Functional.MseLoss(x.MatMul(w), Torch.Zeros(16, 4)).Backward();
        var exact = w.Grad!.ToArray<float>();
        w.Grad = null;
        Tensor loss;
        using (Torch.Autocast(DType.BFloat16))
            loss = Functional.MseLoss(x.MatMul(w), Torch.Zeros(16, 4));
        loss.Backward();
        Assert.Equal(DType.Float32, w.Grad!.DType);
        var mixed = w.Grad!.ToArray<float>();
        var scale = exact.Max(Math.Abs);
        // bf16 keeps 8 significant bits: a relative error of 2^-8 per rounding, a few roundings deep.
        for (var i = 0; i < exact.Length; i++)
            Assert.True(Math.Abs(exact[i] - mixed[i]) <= 0.03 * scale, $"grad[{i}]: {mixed[i]} vs float32 {exact[i]}");
        Assert.NotEqual(exact, mixed); // it did run in bf16
    }
}
