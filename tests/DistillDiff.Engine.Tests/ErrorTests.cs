namespace DistillDiff.Engine.Tests;

using DistillDiff.Engine.Tests.Support;

/// <summary>Native failures arrive as .NET exceptions with readable messages, and the process carries on.</summary>
/// <remarks>Serial: the allocation test compares the process-wide live-tensor count, which parallel classes move.</remarks>
[Collection(SerialCollection.Name)]
public class ErrorTests
{
    private static void AssertNoBacktrace(Exception ex)
    {
        Assert.DoesNotContain("Exception raised from", ex.Message);
        Assert.DoesNotContain("frame #", ex.Message);
        Assert.DoesNotContain("(most recent call first)", ex.Message);
    }

    [Fact]
    public void ShapeMismatchNamesBothSizes()
    {
        using var scope = Torch.NewDisposeScope();
        var ex = Assert.Throws<TorchException>(() => Torch.Zeros(2, 3) + Torch.Zeros(4, 5));
        Assert.Contains("must match the size", ex.Message);
        Assert.Contains("(3)", ex.Message);
        Assert.Contains("(5)", ex.Message);
        Assert.StartsWith("add:", ex.Message);
        AssertNoBacktrace(ex);
    }

    [Fact]
    public void MatMulOfIncompatibleShapes()
    {
        using var scope = Torch.NewDisposeScope();
        var ex = Assert.Throws<TorchException>(() => Torch.Zeros(2, 3).MatMul(Torch.Zeros(4, 5)));
        Assert.Contains("2x3", ex.Message);
        Assert.Contains("4x5", ex.Message);
        AssertNoBacktrace(ex);
        AssertNoBacktrace(Assert.Throws<TorchException>(() => Torch.Zeros(2, 3, 4).Bmm(Torch.Zeros(2, 5, 4))));
        AssertNoBacktrace(Assert.Throws<TorchException>(() => Functional.Linear(Torch.Zeros(2, 3), Torch.Zeros(4, 5))));
        AssertNoBacktrace(Assert.Throws<TorchException>(() => Functional.Conv2d(Torch.Zeros(1, 3, 4, 4), Torch.Zeros(8, 2, 3, 3))));
    }

    [Fact]
    public void ImpossibleAllocationIsOutOfMemoryAndTheProcessCarriesOn()
    {
        using var scope = Torch.NewDisposeScope();
        var live = Torch.LiveTensorCount;
        var ex = Assert.ThrowsAny<TorchException>(() => Torch.Empty([1L << 50]));
        Assert.IsType<TorchOutOfMemoryException>(ex);
        Assert.Contains("allocate", ex.Message);
        Assert.Contains((4L << 50).ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message);   // the bytes asked for
        AssertNoBacktrace(ex);

        // Still computing, and correctly.
        var a = Torch.Arange(0, 1000, 1, DType.Float64);
        Assert.Equal(999.0 * 1000 / 2, a.Sum().Item());
        Assert.Equal(new float[] { 4, 6 }, (Torch.FromArray(new float[] { 1, 2 }) + Torch.FromArray(new float[] { 3, 4 })).ToArray<float>());
        Assert.True(Torch.LiveTensorCount >= live);
    }

    [Fact]
    public void InvalidDTypeConversions()
    {
        using var scope = Torch.NewDisposeScope();
        var x = Torch.Ones(3);
        var ex = Assert.Throws<TorchException>(() => x.To((DType)99));
        Assert.Contains("unknown dtype code 99", ex.Message);
        Assert.Throws<TorchException>(() => Torch.Zeros([2], (DType)(-1)));
        Assert.Contains("convert with .To(DType.Float32)", Assert.Throws<InvalidOperationException>(() => Torch.Ones([2], DType.Float64).ToArray<float>()).Message);
        var bytes = Assert.Throws<TorchException>(() => Torch.FromBytes(new byte[7], [2], DType.Float32));
        Assert.Contains("buffer holds 7 bytes but the shape and dtype need 8", bytes.Message);
        Assert.Throws<TorchException>(() => Torch.Ones(2).Div_(0).To(DType.Int64).Div_(2));   // true division into int64 in place
        AssertNoBacktrace(ex);
    }

    [Fact]
    public void CudaWithoutAGpuSaysSo()
    {
        if (Torch.Cuda.IsAvailable) return;   // covered by CudaTests where a GPU exists
        using var scope = Torch.NewDisposeScope();
        var ex = Assert.Throws<TorchException>(() => Torch.Ones(2).To(Device.CUDA(0)));
        Assert.Contains("CUDA", ex.Message);
        Assert.True(ex.Message.Length < 200, ex.Message);
        Assert.Throws<TorchException>(() => Torch.Zeros([2], device: Device.CUDA(0)));
        Assert.Throws<TorchException>(() => Torch.FromArray(new float[] { 1 }).To(Device.CUDA()));
    }

    [Fact]
    public void UsingADisposedTensorIsObjectDisposed()
    {
        using var scope = Torch.NewDisposeScope();
        var x = Torch.Ones(2);
        var y = Torch.Ones(2);
        x.Dispose();
        Assert.True(x.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => x.Sum());
        Assert.Throws<ObjectDisposedException>(() => x.Shape);
        Assert.Throws<ObjectDisposedException>(() => y + x);             // as an argument too
        Assert.Throws<ObjectDisposedException>(() => Torch.Cat([y, x]));
        Assert.Equal("Tensor(disposed)", x.ToString());
        x.Dispose();                                                     // twice is harmless
        Assert.Equal(2.0, y.Sum().Item());
    }

    [Fact]
    public void AutogradMisuseIsAnException()
    {
        using var scope = Torch.NewDisposeScope();
        var w = Torch.Ones(3).RequiresGrad_();
        var loss = (w * w).Sum();
        loss.Backward();
        var twice = Assert.Throws<TorchException>(() => loss.Backward());
        Assert.Contains("second time", twice.Message);
        AssertNoBacktrace(twice);
        var inPlace = Assert.Throws<TorchException>(() => w.Add_(1));
        Assert.Contains("in-place", inPlace.Message);
        Assert.Throws<TorchException>(() => Torch.Ones(3).Sum().Backward());   // nothing requires grad
        Assert.Equal(new float[] { 2, 2, 2 }, w.Grad!.ToArray<float>());
    }

    [Fact]
    public void TheErrorSlotIsClearedAfterAFailure()
    {
        using var scope = Torch.NewDisposeScope();
        var x = Torch.Ones(2, 2);
        Assert.Throws<TorchException>(() => x.View(3));
        // Grad reads the error slot when the native side returns no gradient: a stale error would make it throw.
        Assert.Null(x.Grad);
        Assert.Equal(4.0, x.Sum().Item());
        Assert.Throws<TorchException>(() => x.MatMul(Torch.Ones(3)));
        Assert.Null(x.Grad);
        Assert.Equal(new long[] { 4 }, x.View(4).Shape);
    }

    [Fact]
    public void ErrorsAreThreadLocal()
    {
        using var scope = Torch.NewDisposeScope();
        var x = Torch.Ones(2, 2);
        // A failure on another thread leaves this thread's slot empty, and vice versa.
        var other = "no exception";
        var thread = new Thread(() =>
        {
            using var s = Torch.NewDisposeScope();
            try { Torch.Ones(2).View(3); } catch (TorchException e) { other = e.Message; }
        });
        thread.Start();
        thread.Join();
        Assert.Contains("view", other);
        Assert.Null(x.Grad);
        Assert.Equal(4.0, x.Sum().Item());
    }
}
