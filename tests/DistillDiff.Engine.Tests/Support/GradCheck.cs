namespace DistillDiff.Engine.Tests.Support;

/// <summary>
/// Compares autograd gradients with central finite differences in float64. The scalar checked is
/// sum(f(inputs) * R) for a fixed random R, so ops whose plain sum has a trivial gradient (normalisations,
/// softmax) are still tested in every direction. The numerical side runs under no_grad and never calls backward.
/// </summary>
internal static class GradCheck
{
    /// <summary>Checks the gradient of f with respect to every input that has RequiresGrad set.</summary>
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double rtol = 1e-6, double atol = 1e-8, ulong seed = 7)
    {
        var failures = Mismatches(f, inputs, eps, rtol, atol, seed);
        Assert.True(failures.Count == 0, "gradient differs from finite differences:\n" + string.Join("\n", failures.Take(20)));
    }

    /// <summary>Every element whose analytic and numerical gradients disagree, described for an assertion message.</summary>
    public static List<string> Mismatches(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double rtol = 1e-6, double atol = 1e-8, ulong seed = 7)
    {
        using var scope = Torch.NewDisposeScope();
        foreach (var x in inputs)
            Assert.Equal(DType.Float64, x.DType);
        var checkedIdx = Enumerable.Range(0, inputs.Length).Where(i => inputs[i].RequiresGrad).ToArray();
        Assert.NotEmpty(checkedIdx);

        using var gen = new Generator(seed);
        var y = f(inputs);
        var r = Torch.Randn(y.Shape, gen, DType.Float64);
        var loss = (y * r).Sum();
        var analytic = Autograd.Grad([loss], checkedIdx.Select(i => inputs[i]).ToList(), allowUnused: true);

        var failures = new List<string>();
        var constants = inputs.Select(x => x.Detach()).ToArray();
        for (var k = 0; k < checkedIdx.Length; k++)
        {
            var i = checkedIdx[k];
            var shape = inputs[i].Shape;
            var data = inputs[i].ToArray<double>();
            var grad = analytic[k]?.ToArray<double>() ?? new double[data.Length];
            for (var j = 0; j < data.Length; j++)
            {
                var numeric = (Evaluate(f, constants, i, data, j, eps, shape, r) - Evaluate(f, constants, i, data, j, -eps, shape, r)) / (2 * eps);
                if (Math.Abs(grad[j] - numeric) > atol + rtol * Math.Abs(numeric) || double.IsNaN(grad[j]))
                    failures.Add($"input {i} element {j}: autograd {grad[j]:R}, finite difference {numeric:R}");
            }
        }
        return failures;
    }

    private static double Evaluate(Func<Tensor[], Tensor> f, Tensor[] constants, int i, double[] data, int j, double delta, long[] shape, Tensor r)
    {
        using var scope = Torch.NewDisposeScope();
        using var noGrad = Torch.NoGrad();
        var saved = data[j];
        data[j] = saved + delta;
        var args = (Tensor[])constants.Clone();
        args[i] = Torch.FromArray(data, shape);
        data[j] = saved;
        return (f(args) * r).Sum().Item();
    }
}
