namespace DistillDiff.Training.Distillation;

using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Samplers;
using DistillDiff.Engine;

/// <summary>
/// The progressive-distillation target (Salimans &amp; Ho 2022, Algorithm 2). From z_t the teacher takes two
/// deterministic DDIM steps, t → t' = t - 0.5/N → t'' = t - 1/N:
///   z_s = alpha_s x_hat + sigma_s eps_hat,  eps_hat = (z_t - alpha_t x_hat) / sigma_t
/// and the student's single DDIM step t → t'' must land on the same z_t''. Solving that step for its x prediction:
///   x_target = (z_t'' - (sigma_t''/sigma_t) z_t) / (alpha_t'' - (sigma_t''/sigma_t) alpha_t).
/// At t'' = 0 the formula degenerates (sigma_t'' = 0 gives x_target = z_t''/alpha_t''), which is the teacher's second
/// x prediction itself, so that value is used directly there.
/// </summary>
public static class ProgressiveTarget
{
    /// <param name="teacherX">The teacher's x prediction at (z, t), t of shape [B]; run without clipping.</param>
    /// <param name="alphaSigma">alpha_t and sigma_t for t [B], each [B].</param>
    /// <param name="z">[B, ...] noisy inputs at time t.</param>
    /// <param name="t">[B] student times (i+1)/N.</param>
    /// <param name="studentSteps">N, the student's number of sampling steps.</param>
    public static Tensor Compute(Func<Tensor, Tensor, Tensor> teacherX, Func<Tensor, (Tensor Alpha, Tensor Sigma)> alphaSigma,
        Tensor z, Tensor t, int studentSteps)
    {
        using var scope = Torch.NewDisposeScope();
        using var noGrad = Torch.NoGrad();
        var half = 0.5 / studentSteps;
        var t1 = (t - half).Clamp(min: 0.0);
        var t2 = (t - 2 * half).Clamp(min: 0.0);
        var (a, s) = Broadcast(alphaSigma(t), z);
        var (a1, s1) = Broadcast(alphaSigma(t1), z);
        var (a2, s2) = Broadcast(alphaSigma(t2), z);

        var x = teacherX(z, t);
        var z1 = DdimUpdate.Step(z, x, a, s, a1, s1);
        var x1 = teacherX(z1, t1);
        var z2 = DdimUpdate.Step(z1, x1, a1, s1, a2, s2);

        var ratio = s2 / s;
        var solved = (z2 - ratio * z) / (a2 - ratio * a);
        // t'' = 0 exactly (the last student step): take the teacher's x prediction, as the paper does.
        var isLast = t2.Le(0.0);
        var target = Torch.Where(Conversions.AsSampleShape(isLast, z), x1, solved);
        return scope.MoveOut(target);
    }

    private static (Tensor, Tensor) Broadcast((Tensor Alpha, Tensor Sigma) p, Tensor like) => (Conversions.AsSampleShape(p.Alpha, like), Conversions.AsSampleShape(p.Sigma, like));
}
