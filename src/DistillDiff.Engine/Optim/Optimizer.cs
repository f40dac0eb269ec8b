namespace DistillDiff.Engine.Optim;

using static DistillDiff.Engine.Native.NativeMethods;

/// <summary>
/// An optimizer over named parameters. A step is one native call for the whole list (multi-tensor kernels), not a
/// managed loop over parameters. State is keyed by parameter name so it survives a reordering of the model code.
/// </summary>
public abstract class Optimizer : IDisposable
{
    protected Optimizer(IEnumerable<(string Name, Tensor Parameter)> parameters, double lr)
    {
        Parameters = parameters.ToList();
        var dup = Parameters.GroupBy(p => p.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new ArgumentException($"parameter '{dup.Key}' is given to the optimizer twice");
        if (Parameters.Count == 0) throw new ArgumentException("the optimizer got no parameters (is the whole model frozen?)");
        LearningRate = lr;
        BaseLearningRate = lr;
    }

    public IReadOnlyList<(string Name, Tensor Parameter)> Parameters { get; }

    /// <summary>
    /// The parameters' native handles, read afresh for each call: Module.To swaps a parameter's native tensor, and a
    /// disposed module must give ObjectDisposedException rather than a freed pointer.
    /// </summary>
    protected IntPtr[] ParameterHandles
    {
        get
        {
            var hs = new IntPtr[Parameters.Count];
            for (var i = 0; i < hs.Length; i++) hs[i] = Parameters[i].Parameter.Handle;
            return hs;
        }
    }

    /// <summary>The rate used by the next step (an LR schedule sets it each step).</summary>
    public double LearningRate { get; set; }

    /// <summary>The rate given at construction; schedules scale this one.</summary>
    public double BaseLearningRate { get; }

    /// <summary>Steps taken so far (Adam's bias correction uses it).</summary>
    public long StepCount { get; protected set; }

    public abstract void Step();

    /// <summary>Sets gradients to none (frees them) in one native call.</summary>
    public unsafe void ZeroGrad()
    {
        var hs = ParameterHandles;
        fixed (IntPtr* p = hs) Tensor.Check(dd_zero_grads(p, hs.Length), "zero_grad");
    }

    /// <summary>State tensors by "kind.parameter_name", plus "step"; the tensors are copies the caller owns.</summary>
    public abstract Dictionary<string, Tensor> StateDict();

    public abstract void LoadStateDict(IReadOnlyDictionary<string, Tensor> state);

    /// <summary>One state tensor per parameter, zero-initialised, outside any dispose scope.</summary>
    protected Tensor[] ZerosLikeParameters()
    {
        using var noGrad = Torch.NoGrad();
        return Parameters.Select(p => DisposeScope.Detach(Torch.ZerosLike(p.Parameter))).ToArray();
    }

    protected Dictionary<string, Tensor> SaveState(params (string Kind, Tensor[] Tensors)[] kinds)
    {
        var sd = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (kind, ts) in kinds)
            for (var i = 0; i < ts.Length; i++)
                sd[$"{kind}.{Parameters[i].Name}"] = ts[i].Clone();
        sd["step"] = Torch.Scalar(StepCount, DType.Int64);
        return sd;
    }

    protected void LoadState(IReadOnlyDictionary<string, Tensor> state, params (string Kind, Tensor[] Tensors)[] kinds)
    {
        var expected = new HashSet<string>(kinds.SelectMany(k => Parameters.Select(p => $"{k.Kind}.{p.Name}"))) { "step" };
        var missing = expected.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !expected.Contains(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new ArgumentException($"{GetType().Name} state does not match its parameters: " +
                $"missing [{string.Join(", ", missing.Take(10))}], unexpected [{string.Join(", ", unexpected.Take(10))}]");
        using var noGrad = Torch.NoGrad();
        foreach (var (kind, ts) in kinds)
            for (var i = 0; i < ts.Length; i++)
            {
                var src = state[$"{kind}.{Parameters[i].Name}"];
                if (!src.Shape.SequenceEqual(ts[i].Shape))
                    throw new ArgumentException($"{GetType().Name} state '{kind}.{Parameters[i].Name}' has shape " +
                        $"[{string.Join(", ", src.Shape)}], the parameter has [{string.Join(", ", ts[i].Shape)}]");
                ts[i].Copy_(src);
            }
        StepCount = state["step"].ItemLong();
    }

    public virtual void Dispose() => GC.SuppressFinalize(this);
}
