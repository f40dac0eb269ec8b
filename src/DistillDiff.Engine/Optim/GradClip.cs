namespace DistillDiff.Engine.Optim;

using static DistillDiff.Engine.Native.NativeMethods;

public static class GradClip
{
    /// <summary>
    /// Scales all gradients so their global 2-norm is at most maxNorm (torch.nn.utils.clip_grad_norm_). Returns the
    /// norm before clipping as a 0-d tensor: reading it syncs with the device, so read it only when logging.
    /// </summary>
    public static unsafe Tensor ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        var hs = Tensor.Handles(parameters.ToList());
        fixed (IntPtr* p = hs) return Tensor.Wrap(dd_clip_grad_norm(p, hs.Length, maxNorm), "clip_grad_norm");
    }
}
