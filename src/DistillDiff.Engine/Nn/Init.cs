namespace DistillDiff.Engine.Nn;

/// <summary>Parameter initialisers; a null generator draws from the default one (seeded by Torch.ManualSeed).</summary>
public static class Init
{
    /// <summary>
    /// PyTorch's default for Linear/Conv weights and biases: kaiming_uniform(a=sqrt(5)) reduces to
    /// U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and biases use the same bound.
    /// </summary>
    public static Tensor DefaultUniform(long[] shape, long fanIn, Generator? gen = null)
    {
        var bound = fanIn > 0 ? 1.0 / Math.Sqrt(fanIn) : 0;
        return Torch.Empty(shape).Uniform_(-bound, bound, gen);
    }

    public static Tensor Zeros(long[] shape) => Torch.Zeros(shape);

    public static Tensor Ones(long[] shape) => Torch.Ones(shape);

    public static Tensor Normal(long[] shape, double std, Generator? gen = null) => Torch.Empty(shape).Normal_(0, std, gen);
}
