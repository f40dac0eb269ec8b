namespace DistillDiff.Training.Losses;

using DistillDiff.Engine;

/// <summary>
/// R1 (Mescheder et al. 2018): the squared norm of the discriminator's gradient with respect to its input on real
/// data, mean_b ||d(sum of D's logits for sample b)/d x_b||^2. The gradient is taken with create_graph, so the penalty
/// itself is differentiated into D's weights (a double backward).
/// </summary>
public static class R1Penalty
{
    /// <param name="discriminator">D's logits (any number of heads) for an input.</param>
    /// <param name="real">[B, ...] real samples (not modified; a leaf copy that requires grad is made).</param>
    public static (Tensor Penalty, IReadOnlyList<Tensor> Logits) Compute(Func<Tensor, IReadOnlyList<Tensor>> discriminator, Tensor real)
    {
        using var scope = Torch.NewDisposeScope();
        var x = real.Detach().RequiresGrad_();
        IReadOnlyList<Tensor> logits;
        // The penalty is differentiated twice; libtorch 2.x's fused attention kernels have no double backward.
        using (Torch.MathAttention()) logits = discriminator(x);
        Tensor? total = null;
        foreach (var l in logits) total = total is null ? l.Sum() : total + l.Sum();
        var grad = Autograd.Grad([total!], [x], retainGraph: true, createGraph: true)[0]
            ?? throw new InvalidOperationException("the discriminator's output does not depend on its input");
        var dims = Enumerable.Range(1, grad.Dim - 1).Select(d => (long)d).ToArray();
        var penalty = (dims.Length > 0 ? grad.Square().Sum(dims) : grad.Square()).Mean();
        scope.MoveOut(penalty);
        foreach (var l in logits) scope.MoveOut(l);
        return (penalty, logits);
    }
}
