namespace DistillDiff.Training.Losses;

using DistillDiff.Engine;

/// <summary>
/// mean_b( w(t_b) * mean_i |x_hat - x_target|^p ), p = 2 (L2) or 1 (L1): the one loss of teacher training and
/// progressive distillation, with the weighting of <see cref="LossWeighting"/>.
/// </summary>
public static class XSpaceLoss
{
    /// <param name="xHat">[B, ...] the model's x prediction.</param>
    /// <param name="xTarget">[B, ...] the data (teacher training) or the distillation target.</param>
    /// <param name="alpha">[B] alpha_t.</param>
    /// <param name="sigma">[B] sigma_t.</param>
    public static Tensor Compute(Tensor xHat, Tensor xTarget, Tensor alpha, Tensor sigma, LossWeighting weighting, LossNorm norm)
    {
        using var scope = Torch.NewDisposeScope();
        var diff = xHat - xTarget;
        var elementwise = norm == LossNorm.L2 ? diff.Square() : diff.Abs();
        var dims = Enumerable.Range(1, xHat.Dim - 1).Select(d => (long)d).ToArray();
        var perExample = dims.Length > 0 ? elementwise.Mean(dims) : elementwise;
        var loss = (perExample * Weight(alpha, sigma, weighting)).Mean();
        return scope.MoveOut(loss);
    }

    /// <summary>w(t) per example, [B].</summary>
    public static Tensor Weight(Tensor alpha, Tensor sigma, LossWeighting weighting)
    {
        if (weighting == LossWeighting.Constant) return Torch.OnesLike(alpha);
        using var scope = Torch.NewDisposeScope();
        var snr = alpha.Square() / sigma.Square();
        var w = weighting switch
        {
            LossWeighting.Snr => snr,
            LossWeighting.SnrTrunc => snr.Clamp(min: 1.0),
            LossWeighting.VMse => snr + 1.0,
            _ => throw new ArgumentOutOfRangeException(nameof(weighting), weighting, "unknown loss weighting"),
        };
        return scope.MoveOut(w);
    }
}
