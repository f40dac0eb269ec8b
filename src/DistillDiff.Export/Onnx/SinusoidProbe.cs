namespace DistillDiff.Export.Onnx;

using DistillDiff.Engine;

/// <summary>
/// Reads the sinusoidal timestep features off the model's own function instead of restating its formula: column j
/// of the features is sin(t f_j), cos(t f_j) or 0 for some frequency f_j, whatever order, flip or frequency spacing
/// the model uses. Probing at t = 0 tells the kind of each column, pairing sin with cos columns gives each column's
/// phase, and doubling t (exact in float32) unwraps the phase until f_j is known to well under one float32 ulp, so
/// the exported graph computes the same float32 product t * f_j as the model before taking sin and cos.
/// </summary>
public static class SinusoidProbe
{
    /// <summary>Kinds and float32 frequencies of the columns of <paramref name="features"/>(timesteps [B]) → [B, dim].</summary>
    public static (SinusoidColumn[] Kinds, float[] Frequencies) Probe(Func<Tensor, Tensor> features)
    {
        const int maxDoublings = 24; // t = 2^24 is still exact in float32
        var ts = new float[maxDoublings + 2];
        for (var k = 0; k <= maxDoublings; k++) ts[k + 1] = MathF.Pow(2, k);
        float[] values;
        int dim;
        using (var scope = Torch.NewDisposeScope())
        {
            var t = Torch.FromArray(ts, ts.Length);
            var f = features(t);
            if (f.Dim != 2 || f.Size(0) != ts.Length) throw new InvalidOperationException("sinusoid probe: features must be [B, dim]");
            dim = (int)f.Size(1);
            values = f.To(DType.Float32).ToArray<float>();
        }
        double V(int row, int col) => values[row * dim + col];

        var kinds = new SinusoidColumn[dim];
        for (var j = 0; j < dim; j++)
        {
            var allZero = Enumerable.Range(0, ts.Length).All(r => V(r, j) == 0);
            kinds[j] = allZero ? SinusoidColumn.Zero : Math.Abs(V(0, j) - 1) < 1e-6 ? SinusoidColumn.Cos : Math.Abs(V(0, j)) < 1e-6 ? SinusoidColumn.Sin
                : throw new NotSupportedException($"sinusoid probe: feature column {j} is {V(0, j)} at t = 0, neither sin nor cos of t f");
        }

        // Pair every sin column with a cos column of the same frequency: sin^2 + cos^2 = 1 at every probe.
        var freqs = new float[dim];
        var partner = new int[dim];
        Array.Fill(partner, -1);
        for (var j = 0; j < dim; j++)
        {
            if (kinds[j] != SinusoidColumn.Sin || partner[j] >= 0) continue;
            var match = -1;
            for (var c = 0; c < dim && match < 0; c++)
            {
                if (kinds[c] != SinusoidColumn.Cos || partner[c] >= 0) continue;
                var ok = true;
                // Rows up to t = 2^10 keep the argument small, so float32 sin and cos are accurate to ~1e-7.
                for (var r = 0; r <= 11 && ok; r++) ok = Math.Abs(V(r, j) * V(r, j) + V(r, c) * V(r, c) - 1) < 1e-5;
                if (ok) match = c;
            }
            if (match < 0) throw new NotSupportedException($"sinusoid probe: sin column {j} has no cos column of the same frequency");
            partner[j] = match;
            partner[match] = j;
            freqs[j] = freqs[match] = Unwrap(ts, r => V(r, j), r => V(r, match));
        }
        for (var j = 0; j < dim; j++)
            if (kinds[j] == SinusoidColumn.Cos && partner[j] < 0)
                throw new NotSupportedException($"sinusoid probe: cos column {j} has no sin column of the same frequency");
        return (kinds, freqs);
    }

    private static float Unwrap(float[] ts, Func<int, double> sin, Func<int, double> cos)
    {
        // Row 1 is t = 1: the phase is f itself, below pi for every frequency a sinusoidal embedding uses (f <= 1).
        var f = Math.Atan2(sin(1), cos(1));
        if (f < 0) throw new NotSupportedException($"sinusoid probe: frequency {f} is negative or above pi");
        for (var r = 2; r < ts.Length; r++)
        {
            var t = (double)ts[r];
            // Beyond ~1e5 rad float32 sin/cos lose the digits that would still improve f; stop there.
            if (t * f > 1e5) break;
            var predicted = t * f;
            var phase = Math.Atan2(sin(r), cos(r));
            var turns = Math.Round((predicted - phase) / (2 * Math.PI));
            f = (phase + 2 * Math.PI * turns) / t;
        }
        return (float)f;
    }
}
