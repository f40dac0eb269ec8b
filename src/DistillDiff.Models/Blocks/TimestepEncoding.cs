namespace DistillDiff.Models.Blocks;

using DistillDiff.Engine;
using F = DistillDiff.Engine.Functional;

/// <summary>Timestep inputs: broadcasting to the batch and the sinusoidal features of diffusers' get_timestep_embedding.</summary>
public static class TimestepEncoding
{
    /// <summary>
    /// diffusers get_timestep_embedding (DDPM's Transformer-style features): with half = dim / 2 and
    /// freq_i = exp(-ln(max_period) * i / (half - downscaleFreqShift)), returns [sin(s t freq), cos(s t freq)]
    /// ([cos, sin] when flipSinToCos), zero-padded by one column when dim is odd. Computed in float32 whatever
    /// the model dtype, as diffusers does, because t * freq reaches 1000 and half precision would lose the phase.
    /// </summary>
    /// <param name="timesteps">[B] timesteps on the network scale.</param>
    public static Tensor Sinusoidal(Tensor timesteps, int dim, bool flipSinToCos, double downscaleFreqShift,
        double scale = 1, double maxPeriod = 10000)
    {
        if (timesteps.Dim != 1) throw new ArgumentException($"timesteps must be 1-d [B], got [{string.Join(", ", timesteps.Shape)}]");
        if (dim < 2) throw new ArgumentOutOfRangeException(nameof(dim), dim, "embedding dim must be at least 2");
        var half = dim / 2;
        if (half - downscaleFreqShift == 0)
            throw new ArgumentException($"embedding dim {dim} with freq_shift {downscaleFreqShift} divides by zero (half - shift = 0)");
        using var scope = Torch.NewDisposeScope();
        // diffusers' order of float32 operations: (-ln(max_period) * arange) / (half - shift), exp, * t, * scale. Folding
        // the two constants into one (as before) moves some frequencies by one unit in the last place.
        var exponent = Torch.Arange(0, half, 1, DType.Float32, timesteps.Device) * -Math.Log(maxPeriod) / (half - downscaleFreqShift);
        var args = timesteps.Float().Unsqueeze(1) * exponent.Exp().Unsqueeze(0) * scale;
        var (sin, cos) = (args.Sin(), args.Cos());
        var emb = Torch.Cat(flipSinToCos ? [cos, sin] : [sin, cos], 1);
        if (dim % 2 == 1) emb = F.Pad(emb, [0, 1]);
        return scope.MoveOut(emb);
    }

    /// <summary>
    /// The timestep as [B] float32 on <paramref name="device"/>: a scalar, [1] or [B] input is accepted and a single
    /// value is repeated over the batch, as diffusers' models do.
    /// </summary>
    public static Tensor ToBatch(Tensor timestep, long batch, Device device)
    {
        using var scope = Torch.NewDisposeScope();
        var t = timestep.Reshape(-1).To(DType.Float32, device);
        var n = t.NumEl;
        if (n == 1 && batch != 1) t = t.Expand(batch);
        else if (n != batch) throw new ArgumentException($"timestep has {n} values for a batch of {batch} (expected 1 or {batch})");
        return scope.MoveOut(t);
    }
}
