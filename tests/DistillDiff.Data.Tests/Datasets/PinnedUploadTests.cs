namespace DistillDiff.Data.Tests.Datasets;

using DistillDiff.Data.Datasets;
using DistillDiff.Engine;

/// <summary>
/// data.pin_memory: batches for a CUDA device are staged through pinned memory with non-blocking copies; pinning is
/// CUDA's, so on a CPU the default is a plain copy and an explicit request is refused with the reason.
/// </summary>
public class PinnedUploadTests
{
    private static readonly DatasetRegistry Registry = DatasetRegistry.CreateBuiltIn();

    private static IDataset Toy(bool? pin) =>
        Registry.Create(new DataConfig { Type = "toy2d", Kind = "gaussian_mixture", Count = 64, PinMemory = pin });

    [Fact]
    public void TheRegistryPassesPinMemoryToEveryDatasetType()
    {
        Assert.True(((Toy2DDataset)Toy(true)).PinMemory);
        Assert.Null(((Toy2DDataset)Toy(null)).PinMemory);
        var fmnist = Registry.Create(new DataConfig { Type = "fashion_mnist", Split = "test", Limit = 8, PinMemory = false });
        Assert.False(((FashionMnistDataset)fmnist).PinMemory);
    }

    [Fact]
    public void OnTheCpuTheDefaultAndFalseCopyPlainlyAndTheSameNumbersArrive()
    {
        using var scope = Torch.NewDisposeScope();
        var auto = Toy(null).GetBatch([0, 5, 9], Device.CPU);
        var plain = Toy(false).GetBatch([0, 5, 9], Device.CPU);
        Assert.True(auto.X.Equal(plain.X));
        Assert.False(auto.X.IsPinned);
    }

    [Fact]
    public void PinningForACpuBatchIsRefusedNamingTheReason()
    {
        using var scope = Torch.NewDisposeScope();
        var e = Assert.Throws<TorchException>(() => Toy(true).GetBatch([0, 1], Device.CPU));
        Assert.Contains("pinned staging copies go to a CUDA device, not cpu", e.Message);
        e = Assert.Throws<TorchException>(() => HostUpload.Span<float>([1f, 2f], [2], Device.CPU, pinned: true));
        Assert.Contains("not cpu", e.Message);
    }

    [Fact]
    public void OnCudaTheDefaultStagesThroughPinnedMemory()
    {
        if (!Torch.Cuda.IsAvailable) return; // CPU machines: the two facts above
        using var scope = Torch.NewDisposeScope();
        var gpu = Device.CUDA(0);
        var pinned = Toy(null).GetBatch([0, 5, 9], gpu);
        var plain = Toy(false).GetBatch([0, 5, 9], gpu);
        Assert.Equal(gpu, pinned.X.Device);
        Assert.True(pinned.X.Equal(plain.X));
        Assert.True(pinned.Labels is null || pinned.Labels.Equal(plain.Labels!));
    }
}
