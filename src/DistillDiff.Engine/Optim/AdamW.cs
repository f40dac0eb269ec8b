namespace DistillDiff.Engine.Optim;

using static DistillDiff.Engine.Native.NativeMethods;

/// <summary>
/// AdamW (decoupled weight decay, Loshchilov &amp; Hutter 2019), numerically as torch.optim.AdamW. One native call
/// per step: libtorch's _foreach kernels, or the fused CUDA kernel on libtorch 2.2+.
/// </summary>
public sealed class AdamW : Optimizer
{
    private readonly Tensor[] _expAvg, _expAvgSq;
    private readonly IntPtr[] _m, _v;

    public AdamW(IEnumerable<(string Name, Tensor Parameter)> parameters, double lr = 1e-3, double beta1 = 0.9,
        double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01) : base(parameters, lr)
    {
        (Beta1, Beta2, Eps, WeightDecay) = (beta1, beta2, eps, weightDecay);
        _expAvg = ZerosLikeParameters();
        _expAvgSq = ZerosLikeParameters();
        _m = Tensor.Handles(_expAvg);
        _v = Tensor.Handles(_expAvgSq);
    }

    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public double WeightDecay { get; }

    public override unsafe void Step()
    {
        var hs = ParameterHandles;
        StepCount++;
        fixed (IntPtr* p = hs)
        fixed (IntPtr* m = _m)
        fixed (IntPtr* v = _v)
            Tensor.Check(dd_adamw_step(p, m, v, hs.Length, LearningRate, Beta1, Beta2, Eps, WeightDecay, StepCount), "adamw step");
    }

    public override Dictionary<string, Tensor> StateDict() => SaveState(("exp_avg", _expAvg), ("exp_avg_sq", _expAvgSq));

    public override void LoadStateDict(IReadOnlyDictionary<string, Tensor> state) =>
        LoadState(state, ("exp_avg", _expAvg), ("exp_avg_sq", _expAvgSq));

    public override void Dispose()
    {
        foreach (var t in _expAvg.Concat(_expAvgSq)) t.Dispose();
        base.Dispose();
    }
}
