namespace DistillDiff.Training.Losses;

using DistillDiff.Engine;

/// <summary>
/// The hinge GAN losses of ADD (Sauer et al. 2023, eq. 2-3), summed over discriminator heads k, each head's logits
/// averaged over batch and positions:
/// <code>
///   L_D = sum_k mean(relu(1 - D_k(x_real))) + mean(relu(1 + D_k(x_fake)))
///   L_G = sum_k mean(-D_k(x_fake))
/// </code>
/// </summary>
public static class HingeLoss
{
    public static Tensor Discriminator(IReadOnlyList<Tensor> real, IReadOnlyList<Tensor> fake)
    {
        using var scope = Torch.NewDisposeScope();
        var loss = Sum(real.Select(r => (1.0 - r).Relu().Mean()).Concat(fake.Select(f => (f + 1.0).Relu().Mean())));
        return scope.MoveOut(loss);
    }

    public static Tensor Generator(IReadOnlyList<Tensor> fake)
    {
        using var scope = Torch.NewDisposeScope();
        return scope.MoveOut(Sum(fake.Select(f => f.Mean().Neg())));
    }

    /// <summary>The mean score over heads (for logging D on real and on fake).</summary>
    public static Tensor MeanScore(IReadOnlyList<Tensor> logits)
    {
        using var scope = Torch.NewDisposeScope();
        return scope.MoveOut(Sum(logits.Select(l => l.Mean())) / logits.Count);
    }

    private static Tensor Sum(IEnumerable<Tensor> terms)
    {
        Tensor? total = null;
        foreach (var t in terms) total = total is null ? t : total + t;
        return total ?? throw new ArgumentException("no discriminator heads");
    }
}
