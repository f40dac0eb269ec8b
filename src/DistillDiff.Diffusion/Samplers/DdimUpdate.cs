namespace DistillDiff.Diffusion.Samplers;

using DistillDiff.Engine;

/// <summary>
/// The one deterministic DDIM update (Song et al. 2021, eq. 12 with eta = 0) in alpha/sigma form, shared by the
/// progressive-distillation target, the continuous-time "pd" sampler and anything else that steps z_t to z_s:
/// <code>
///   eps-hat = (z_t - alpha_t x-hat) / sigma_t          (the noise the prediction implies)
///   z_s     = alpha_s x-hat + sigma_s eps-hat
/// </code>
/// Coefficients are tensors that broadcast against z (0-d, or already [B, 1, ...]).
/// </summary>
public static class DdimUpdate
{
    public static Tensor Step(Tensor z, Tensor xHat, Tensor alpha, Tensor sigma, Tensor alphaNext, Tensor sigmaNext)
    {
        using var scope = Torch.NewDisposeScope();
        var eps = (z - alpha * xHat) / sigma;
        return scope.MoveOut(alphaNext * xHat + sigmaNext * eps);
    }
}
