namespace DistillDiff.Engine.Tests;

using DistillDiff.Engine.Nn;
using DistillDiff.Engine.Optim;
using DistillDiff.Engine.Tests.Support;

/// <summary>GPU paths; each is skipped, with the reason, where libtorch sees no CUDA device.</summary>
public class CudaTests
{
    private static readonly Device Gpu = Device.CUDA(0);

    [CudaFact]
    public void TensorsGoToTheGpuAndBack()
    {
        using var scope = Torch.NewDisposeScope();
        Assert.True(Torch.Cuda.DeviceCount >= 1);
        var host = Torch.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2);
        var dev = host.To(Gpu);
        Assert.Equal(Gpu, dev.Device);
        Assert.True(dev.Device.IsCuda);
        var result = (dev * 2 + 1).MatMul(dev);
        Assert.Equal(Gpu, result.Device);
        Assert.Equal(new float[] { 1 * 3 + 3 * 5, 2 * 3 + 4 * 5, 1 * 7 + 3 * 9, 2 * 7 + 4 * 9 }, result.Cpu().ToArray<float>());
        Assert.Equal(new float[] { 1, 2, 3, 4 }, dev.ToArray<float>());                 // ToArray copies from any device
        Assert.Equal(Device.CPU, dev.Cpu().Device);
        Assert.Equal(DType.BFloat16, Torch.Zeros([2], DType.BFloat16, Gpu).DType);
        Torch.Cuda.Synchronize();
    }

    [CudaFact]
    public void SeededGpuGeneratorsReproduce()
    {
        using var scope = Torch.NewDisposeScope();
        using var g1 = new Generator(3, Gpu);
        using var g2 = new Generator(3, Gpu);
        var a = Torch.Randn([64], g1);
        Assert.Equal(Gpu, a.Device);
        Assert.True(a.Equal(Torch.Randn([64], g2)));
        var state = g1.GetState();
        var next = Torch.Randn([8], g1);
        g1.SetState(state);
        Assert.True(next.Equal(Torch.Randn([8], g1)));
    }

    [CudaFact]
    public void ATrainingStepOnTheGpuMatchesTheCpu()
    {
        Layer Make() => new Sequential(new Conv2d(1, 4, 3, padding: 1), new GroupNorm(2, 4), new Activation("silu"), new Conv2d(4, 1, 3, padding: 1));
        using var cpu = Make();
        using var gpu = Make();
        using var scope = Torch.NewDisposeScope();
        // float64 on both sides: cuDNN may use TF32 for float32 convolutions, which is not what is being compared.
        cpu.To(DType.Float64);
        gpu.LoadStateDict(cpu.StateDict());
        gpu.To(Gpu, DType.Float64);
        Assert.All(gpu.Parameters(), p => Assert.Equal(Gpu, p.Device));
        using var optCpu = new AdamW(cpu.TrainableParameters(), lr: 1e-2);
        using var optGpu = new AdamW(gpu.TrainableParameters(), lr: 1e-2);
        using var gen = new Generator(1);
        var x = Torch.Randn([4, 1, 8, 8], gen, DType.Float64);
        var y = Torch.Randn([4, 1, 8, 8], gen, DType.Float64);

        for (var step = 0; step < 3; step++)
        {
            using var s = Torch.NewDisposeScope();
            foreach (var (model, opt, device) in new[] { (cpu, optCpu, Device.CPU), (gpu, optGpu, Gpu) })
            {
                opt.ZeroGrad();
                var loss = Functional.MseLoss(model.Forward(x.To(device)), y.To(device));
                loss.Backward();
                GradClip.ClipGradNorm(model.Parameters(), 1.0);
                opt.Step();
            }
        }
        foreach (var (name, p) in cpu.StateDict())
            Assert.True(p.AllClose(gpu.StateDict()[name].Cpu(), 1e-7, 1e-9), $"{name} differs between CPU and GPU after 3 steps");
    }

    [CudaFact]
    public void AttentionOnTheGpuMatchesTheReferencePath()
    {
        using var scope = Torch.NewDisposeScope();
        using var gen = new Generator(2);
        var q = Torch.Randn([2, 4, 16, 32], gen).To(Gpu);
        var k = Torch.Randn([2, 4, 16, 32], gen).To(Gpu);
        var v = Torch.Randn([2, 4, 16, 32], gen).To(Gpu);
        foreach (var causal in new[] { false, true })
        {
            var fast = Functional.ScaledDotProductAttention(q, k, v, causal: causal);
            var reference = Functional.ScaledDotProductAttention(q, k, v, causal: causal, forceReference: true);
            Assert.True(fast.AllClose(reference, 1e-3, 1e-4));
        }
    }
}
