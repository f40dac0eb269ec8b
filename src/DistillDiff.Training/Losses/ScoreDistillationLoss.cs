namespace DistillDiff.Training.Losses;

using DistillDiff.Engine;

/// <summary>
/// ADD's distillation term (Sauer et al. 2023, eq. 5): mean_b c(t_b) mean_i (x_student - sg(x_teacher))^2, where the
/// teacher's x0 prediction was made from the student's output renoised to t_b.
/// </summary>
public static class ScoreDistillationLoss
{
    /// <param name="xStudent">[B, ...] the student's x0 prediction (differentiated).</param>
    /// <param name="xTeacher">[B, ...] the teacher's x0 prediction (detached here: a stop-gradient).</param>
    /// <param name="alpha">[B] alpha at the renoising times.</param>
    /// <param name="sigma">[B] sigma at the renoising times.</param>
    public static Tensor Compute(Tensor xStudent, Tensor xTeacher, Tensor alpha, Tensor sigma, DistillationWeighting weighting)
    {
        using var scope = Torch.NewDisposeScope();
        var diff = (xStudent - xTeacher.Detach()).Square();
        var dims = Enumerable.Range(1, diff.Dim - 1).Select(d => (long)d).ToArray();
        var perExample = dims.Length > 0 ? diff.Mean(dims) : diff;
        return scope.MoveOut((Weight(alpha, sigma, weighting) * perExample).Mean());
    }

    /// <summary>c(t) per example, [B].</summary>
    public static Tensor Weight(Tensor alpha, Tensor sigma, DistillationWeighting weighting) => weighting switch
    {
        DistillationWeighting.Uniform => Torch.OnesLike(alpha),
        DistillationWeighting.Exponential => alpha.Alias(),
        DistillationWeighting.Sds => alpha * sigma * 0.5,
        _ => throw new ArgumentOutOfRangeException(nameof(weighting), weighting, "unknown distillation weighting"),
    };
}
