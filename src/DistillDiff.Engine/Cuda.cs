namespace DistillDiff.Engine;

using static DistillDiff.Engine.Native.NativeMethods;

public static partial class Torch
{
    /// <summary>CUDA queries (as torch.cuda).</summary>
    public static class Cuda
    {
        public static bool IsAvailable
        {
            get
            {
                Native.NativeLibraryLoader.Install();
                return dd_cuda_is_available() == 1;
            }
        }

        public static int DeviceCount => IsAvailable ? dd_cuda_device_count() : 0;

        /// <summary>
        /// Whether CUDA graphs can be captured here: the native layer was built against a CUDA libtorch (with the CUDA
        /// headers) and libtorch sees a GPU. False on every CPU machine, where graph users fall back to eager calls.
        /// </summary>
        public static bool GraphsSupported
        {
            get
            {
                Native.NativeLibraryLoader.Install();
                return dd_cuda_graphs_supported() == 1;
            }
        }

        /// <summary>Waits for queued GPU work (benchmarks and timing need it; training steps must not).</summary>
        public static void Synchronize(int device = -1) => DistillDiff.Engine.Tensor.Check(dd_cuda_synchronize(device), "cuda synchronize");
    }
}
