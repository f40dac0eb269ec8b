namespace DistillDiff.Engine.Tests;

using DistillDiff.Engine.Nn;
using DistillDiff.Engine.Optim;
using DistillDiff.Engine.Tests.Support;

/// <summary>
/// The CUDA-only paths (graphs, pinned memory, fused AdamW): their guards and CPU fallbacks everywhere, the real thing
/// on a CUDA machine ([CudaFact], skipped with the reason elsewhere).
/// </summary>
public class CudaPathTests
{
    private static readonly Device Gpu = Device.CUDA(0);

    private static Layer SmallNet()
    {
        Torch.ManualSeed(7);
        return new Sequential(new Conv2d(2, 4, 3, padding: 1), new GroupNorm(2, 4), new Activation("silu"), new Conv2d(4, 2, 3, padding: 1));
    }

    // ---- static buffers: the graph-able path, on any device ----

    [Fact]
    public void StaticBufferCallComputesWhatADirectCallComputes()
    {
        using var net = SmallNet();
        using var noGrad = Torch.NoGrad();
        using var scope = Torch.NewDisposeScope();
        Tensor? seen = null;
        using var call = new StaticBufferCall(b => { seen = b[0]; return net.Forward(b[0]!) * b[1]!; }, captureGraph: false);
        Assert.False(call.CaptureGraph);
        using var gen = new Generator(3);
        for (var i = 0; i < 3; i++)
        {
            var x = Torch.Randn([2, 2, 8, 8], gen);
            var k = Torch.Full([1], i + 0.5);
            var y = call.Call(x, k);
            Assert.True(y.Equal(net.Forward(x) * k));
            // The function runs on the call's own buffers, which hold copies of this call's inputs.
            Assert.NotSame(x, seen);
            Assert.True(seen!.Equal(x));
        }
        Assert.Equal(0, call.Replays);
    }

    [Fact]
    public void StaticBufferCallRefusesOtherShapesAndKeepsNulls()
    {
        using var scope = Torch.NewDisposeScope();
        using var call = new StaticBufferCall(b => b[1] is null ? b[0]! * 2 : b[0]! + b[1]!, captureGraph: false);
        Assert.True(call.Call(Torch.Ones([3]), null).Equal(Torch.Full([3], 2.0)));
        var e = Assert.Throws<ArgumentException>(() => call.Call(Torch.Ones([4]), null));
        Assert.Contains("float32[3] on cpu; none", e.Message);
        Assert.Contains("float32[4] on cpu; none", e.Message);
        Assert.Contains("one call object per input shape", e.Message);
        Assert.Throws<ArgumentException>(() => call.Call(Torch.Ones([3]), Torch.Ones([3])));
    }

    [Fact]
    public void WithoutGraphSupportCapturingIsRefusedAndNothingClaimsToCapture()
    {
        if (Torch.Cuda.GraphsSupported) return; // the CUDA facts below cover machines that can capture
        var e = Assert.Throws<InvalidOperationException>(() => new StaticBufferCall(b => b[0]!, captureGraph: true));
        Assert.Contains("CUDA graphs are not available here", e.Message);
        var native = Assert.Throws<TorchException>(() => new CudaGraph(Gpu));
        Assert.Contains("CUDA", native.Message);
    }

    [Fact]
    public void ACudaGraphOnTheCpuIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new CudaGraph(Device.CPU));
        Assert.Contains("CUDA graphs run on CUDA devices, not on cpu", e.Message);
    }

    // ---- pinned memory: CUDA's; guarded elsewhere ----

    [Fact]
    public void PinningWithoutCudaIsRefusedWithAPlainMessage()
    {
        if (Torch.Cuda.IsAvailable) return; // PinnedUploadsArriveOnTheGpu covers CUDA machines
        using var scope = Torch.NewDisposeScope();
        var t = Torch.Ones([4]);
        Assert.False(t.IsPinned);
        var e = Assert.Throws<TorchException>(() => t.PinMemory());
        Assert.Contains("pinned (page-locked) memory needs a CUDA device, and libtorch sees none", e.Message);
        e = Assert.Throws<TorchException>(() => Torch.FromBytesPinned(new byte[16], [4], DType.Float32, Gpu));
        Assert.Contains("pinned (page-locked) memory needs a CUDA device", e.Message);
    }

    [Fact]
    public void PinnedUploadsGoToCudaDevicesOnly()
    {
        var e = Assert.Throws<TorchException>(() => Torch.FromBytesPinned(new byte[16], [4], DType.Float32, Device.CPU));
        Assert.Contains("pinned staging copies go to a CUDA device, not cpu", e.Message);
    }

    // ---- fused AdamW ----

    private static (Layer Net, AdamW Opt) Trained(bool? fused, Device device, int steps)
    {
        var net = SmallNet();
        net.To(device);
        var opt = new AdamW(net.TrainableParameters(), lr: 1e-2, weightDecay: 0.1, fused: fused);
        using var gen = new Generator(5);
        for (var i = 0; i < steps; i++)
        {
            using var scope = Torch.NewDisposeScope();
            var x = Torch.Randn([2, 2, 8, 8], gen).To(device);
            net.Forward(x).Square().Mean().Backward();
            opt.Step();
            opt.ZeroGrad();
        }
        return (net, opt);
    }

    private static void AssertSameWeights(Layer a, Layer b, double atol)
    {
        using var scope = Torch.NewDisposeScope();
        var sb = b.StateDict();
        foreach (var (name, t) in a.StateDict())
            Assert.True(t.Cpu().AllClose(sb[name].Cpu(), rtol: 1e-5, atol: atol), $"{name} differs between the fused and the _foreach AdamW");
    }

    [Fact]
    public void FusedAdamWOnTheCpuMatchesForeachOrIsRefusedNamingTheVersion()
    {
        if (AdamW.FusedAvailable(DeviceType.CPU))
        {
            var (fusedNet, fusedOpt) = Trained(true, Device.CPU, 5);
            var (plainNet, plainOpt) = Trained(false, Device.CPU, 5);
            using (fusedNet) using (fusedOpt) using (plainNet) using (plainOpt)
                AssertSameWeights(fusedNet, plainNet, 1e-6);
            Assert.True(Torch.LibTorchVersion >= new Version(2, 4));
        }
        else
        {
            var e = Assert.Throws<TorchException>(() => Trained(true, Device.CPU, 1));
            Assert.Contains("fused AdamW needs libtorch 2.4+ on cpu", e.Message);
            Assert.True(Torch.LibTorchVersion < new Version(2, 4));
        }
    }

    // ---- on a CUDA machine ----

    [CudaFact]
    public void GraphReplaysComputeWhatEagerCallsComputeAndFollowNewInputs()
    {
        Assert.True(Torch.Cuda.GraphsSupported, "a native layer on a CUDA machine should be built against a CUDA libtorch (tools/gpu/check.sh)");
        using var net = SmallNet();
        net.To(Gpu);
        using var noGrad = Torch.NoGrad();
        using var call = new StaticBufferCall(b => net.Forward(b[0]!), captureGraph: true);
        using var gen = new Generator(3, Gpu);
        for (var i = 0; i < 3; i++)
        {
            using var scope = Torch.NewDisposeScope();
            var x = Torch.Randn([2, 2, 8, 8], gen);
            var y = call.Call(x);
            Assert.True(y.AllClose(net.Forward(x), rtol: 1e-5, atol: 1e-6));
        }
        Assert.Equal(3, call.Replays);
    }

    [CudaFact]
    public void PinnedUploadsArriveOnTheGpu()
    {
        using var scope = Torch.NewDisposeScope();
        var values = new float[] { 1, -2, 3.5f, 4 };
        var t = Torch.FromBytesPinned(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()), [4], DType.Float32, Gpu);
        Assert.Equal(Gpu, t.Device);
        Assert.Equal(values, t.Cpu().ToArray<float>());
        Assert.True(Torch.FromArray(values, 4).PinMemory().IsPinned);
    }

    [CudaFact]
    public void FusedAdamWOnCudaMatchesForeach()
    {
        Assert.True(AdamW.FusedAvailable(DeviceType.CUDA) || Torch.LibTorchVersion < new Version(2, 2));
        var (fusedNet, fusedOpt) = Trained(null, Gpu, 5);
        var (plainNet, plainOpt) = Trained(false, Gpu, 5);
        using (fusedNet) using (fusedOpt) using (plainNet) using (plainOpt)
            AssertSameWeights(fusedNet, plainNet, 1e-5);
    }
}
