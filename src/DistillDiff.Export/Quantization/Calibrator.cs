namespace DistillDiff.Export.Quantization;

using DistillDiff.Engine;
using DistillDiff.Export.Onnx;
using DistillDiff.Export.Runtime;
using DistillDiff.Export.Sampling;
using DistillDiff.Models;
using Google.Protobuf;

/// <summary>
/// Timestep-aware calibration (Q-Diffusion, Li et al. 2023, Sec. 4.1): the activations each weight layer sees while
/// the float student samples from noise with its own N-step sampler, every step of the trajectory included, so the
/// ranges cover every timestep's distribution rather than one. Runs the calibration graph (the float export with the
/// sites as extra outputs) in ONNX Runtime.
/// </summary>
public static class Calibrator
{
    /// <param name="count">Trajectories (samples) to draw; each contributes one network call per step.</param>
    /// <returns>Statistics per site; for a concat recorded per part ("...:in0", "...:in1") also the whole ("...:in").</returns>
    public static Dictionary<string, ActivationStats> Run(DenoiserBackbone model, SamplerSpec spec, int count, ulong seed, int batch = 64)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "--calibration must be at least 1 sample");
        var policy = new CalibrationPolicy();
        var proto = OnnxExporter.Export(model, policy);
        using var ort = new OrtNetwork(proto.ToByteArray());
        var sites = policy.Sites.Keys.ToArray();
        var tensors = sites.Select(s => policy.Sites[s]).Distinct().ToArray();
        var tensorIndex = tensors.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i, StringComparer.Ordinal);
        var siteTensor = sites.Select(s => tensorIndex[policy.Sites[s]]).ToArray();
        var stats = sites.ToDictionary(s => s, _ => new ActivationStats(), StringComparer.Ordinal);
        var rng = new Random((int)(seed % int.MaxValue));
        using var gen = new Generator(seed);
        var per = spec.SampleShape.Aggregate(1L, (a, b) => a * b);

        for (var done = 0; done < count; done += batch)
        {
            var n = Math.Min(batch, count - done);
            long[] shape = [n, .. spec.SampleShape];
            float[] z;
            long[]? labels = null;
            using (var scope = Torch.NewDisposeScope())
            {
                if (spec.ClassConditional) labels = Torch.RandInt(0, spec.NumClasses!.Value, [n], gen).ToArray<long>();
                z = Torch.Randn(shape, gen).ToArray<float>();
            }
            for (var i = 0; i < spec.Steps.Count; i++)
            {
                var st = spec.Steps[i];
                var outputs = ort.RunAll(z, shape, Enumerable.Repeat(st.Timestep, n).ToArray(), labels, tensors);
                for (var k = 0; k < sites.Length; k++) stats[sites[k]].Add(outputs[siteTensor[k] + 1], rng);
                if (i == spec.Steps.Count - 1) break;
                var x0 = JsonSampler.X0(spec.Prediction, outputs[0], z, (float)st.Alpha, (float)st.Sigma, n, per);
                float a = (float)st.Alpha, s = (float)st.Sigma, an = (float)st.AlphaNext!.Value, sn = (float)st.SigmaNext!.Value;
                for (var k = 0; k < z.Length; k++) z[k] = an * x0[k] + sn * ((z[k] - a * x0[k]) / s);
            }
        }

        foreach (var group in sites.Where(s => s.EndsWith(":in0", StringComparison.Ordinal)))
        {
            var stem = group[..^1];
            var parts = sites.Where(s => s.StartsWith(stem, StringComparison.Ordinal) && s.Length > stem.Length).Select(s => stats[s]).ToList();
            stats[stem] = ActivationStats.Merge(parts);
        }
        return stats;
    }
}
