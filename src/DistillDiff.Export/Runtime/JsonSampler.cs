namespace DistillDiff.Export.Runtime;

using DistillDiff.Export.Sampling;

/// <summary>
/// The app side of an export: samples with model.onnx in ONNX Runtime driven only by sampler.json, in plain float
/// arithmetic (the recipe written in <see cref="SamplerSpec"/>). It uses nothing of DistillDiff but the JSON record,
/// so it is also the reference for porting the sampler to another language.
/// </summary>
public static class JsonSampler
{
    /// <param name="noise">The starting z, [B, ...sample_shape] row-major (the app's own N(0, I) draws).</param>
    public static float[] Sample(OrtNetwork network, SamplerSpec spec, float[] noise, int batch, long[]? classLabels = null)
    {
        var per = spec.SampleShape.Aggregate(1L, (a, b) => a * b);
        if (noise.Length != batch * per) throw new ArgumentException($"noise has {noise.Length} values, expected {batch} x {per}");
        long[] shape = [batch, .. spec.SampleShape];
        var z = (float[])noise.Clone();
        for (var i = 0; i < spec.Steps.Count; i++)
        {
            var st = spec.Steps[i];
            var output = network.Run(z, shape, Enumerable.Repeat(st.Timestep, batch).ToArray(), classLabels);
            var x0 = X0(spec.Prediction, output, z, (float)st.Alpha, (float)st.Sigma, batch, per);
            if (i == spec.Steps.Count - 1) return x0;
            float a = (float)st.Alpha, s = (float)st.Sigma, an = (float)st.AlphaNext!.Value, sn = (float)st.SigmaNext!.Value;
            for (var k = 0; k < z.Length; k++)
            {
                var eps = (z[k] - a * x0[k]) / s;
                z[k] = an * x0[k] + sn * eps;
            }
        }
        throw new InvalidOperationException("a sampler spec has at least one step");
    }

    /// <summary>The x0 estimate from the raw network output, per parameterisation (Denoiser's identities).</summary>
    public static float[] X0(string prediction, float[] output, float[] z, float alpha, float sigma, int batch, long per)
    {
        var x0 = new float[z.Length];
        switch (prediction)
        {
            case "epsilon":
                var alphaDiv = Math.Max(alpha, 1e-12f);
                for (var k = 0; k < z.Length; k++) x0[k] = (z[k] - sigma * output[k]) / alphaDiv;
                break;
            case "sample":
                Array.Copy(output, x0, z.Length);
                break;
            case "v":
                for (var k = 0; k < z.Length; k++) x0[k] = alpha * z[k] - sigma * output[k];
                break;
            case "both":
                // output is [B, 2C, ...]: the x head then the eps head along channels, i.e. per batch row the first half then the second.
                for (var b = 0; b < batch; b++)
                    for (long k = 0; k < per; k++)
                    {
                        var idx = b * per + k;
                        var xHead = output[b * 2 * per + k];
                        var epsHead = output[b * 2 * per + per + k];
                        x0[idx] = sigma * sigma * xHead + alpha * (z[idx] - sigma * epsHead);
                    }
                break;
            default:
                throw new ArgumentException($"unknown prediction '{prediction}'");
        }
        return x0;
    }
}
