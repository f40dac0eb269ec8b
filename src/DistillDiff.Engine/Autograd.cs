namespace DistillDiff.Engine;

using static DistillDiff.Engine.Native.NativeMethods;

/// <summary>Gradients as values (torch.autograd.grad), for penalties such as R1 that need a double backward.</summary>
public static class Autograd
{
    /// <summary>
    /// d(sum of outputs weighted by gradOutputs)/d(inputs). With createGraph the results carry their own graph,
    /// so a loss built from them can be differentiated again. Unused inputs give null when allowUnused.
    /// </summary>
    public static unsafe Tensor?[] Grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs,
        IReadOnlyList<Tensor?>? gradOutputs = null, bool retainGraph = false, bool createGraph = false, bool allowUnused = false)
    {
        var o = Tensor.Handles(outputs);
        var i = Tensor.Handles(inputs);
        IntPtr[]? g = null;
        if (gradOutputs != null)
        {
            if (gradOutputs.Count != outputs.Count)
                throw new ArgumentException($"{gradOutputs.Count} grad outputs for {outputs.Count} outputs");
            g = gradOutputs.Select(t => t?.Handle ?? IntPtr.Zero).ToArray();
        }
        var result = new IntPtr[i.Length];
        int n;
        fixed (IntPtr* po = o)
        fixed (IntPtr* pi = i)
        fixed (IntPtr* pg = g)
        fixed (IntPtr* pr = result)
            n = dd_autograd_grad(po, o.Length, pi, i.Length, pg, retainGraph || createGraph ? 1 : 0, createGraph ? 1 : 0, allowUnused ? 1 : 0, pr);
        Tensor.Check(n, "autograd.grad");
        return Tensor.WrapAll(result, n);
    }

    /// <summary>Single output, single input convenience form.</summary>
    public static Tensor Grad(Tensor output, Tensor input, bool createGraph = false, bool retainGraph = false) =>
        Grad([output], [input], null, retainGraph, createGraph)[0]
        ?? throw new InvalidOperationException("the output does not depend on the input");
}
