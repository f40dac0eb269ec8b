namespace DistillDiff.Engine.Optim;

using static DistillDiff.Engine.Native.NativeMethods;

/// <summary>
/// AdamW (decoupled weight decay, Loshchilov &amp; Hutter 2019), numerically as torch.optim.AdamW. One native call
/// per step: libtorch's _foreach kernels, or the fused kernel (at::_fused_adamw_, torch.optim.AdamW(fused=True)):
/// by default on CUDA with libtorch 2.2+, and on request (<c>fused: true</c>) on CPU with libtorch 2.4+.
/// </summary>
public sealed class AdamW : Optimizer
{
    private readonly Tensor[] _expAvg, _expAvgSq;
    private readonly IntPtr[] _m, _v;

    public AdamW(IEnumerable<(string Name, Tensor Parameter)> parameters, double lr = 1e-3, double beta1 = 0.9,
        double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01, bool? fused = null) : base(parameters, lr)
    {
        (Beta1, Beta2, Eps, WeightDecay, Fused) = (beta1, beta2, eps, weightDecay, fused);
        _expAvg = ZerosLikeParameters();
        _expAvgSq = ZerosLikeParameters();
        _m = Tensor.Handles(_expAvg);
        _v = Tensor.Handles(_expAvgSq);
    }

    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public double WeightDecay { get; }

    /// <summary>null: fused where the parameters' device has the kernel by default (CUDA); true: fused or an error at
    /// the first step naming the libtorch version needed; false: the _foreach path.</summary>
    public bool? Fused { get; }

    /// <summary>Whether this libtorch has a fused AdamW kernel for the device type (CUDA 2.2+, CPU 2.4+).</summary>
    public static bool FusedAvailable(DeviceType device)
    {
        Native.NativeLibraryLoader.Install();
        return dd_adamw_fused_available((int)device) == 1;
    }

    public override unsafe void Step()
    {
        var hs = ParameterHandles;
        StepCount++;
        fixed (IntPtr* p = hs)
        fixed (IntPtr* m = _m)
        fixed (IntPtr* v = _v)
            Tensor.Check(dd_adamw_step(p, m, v, hs.Length, LearningRate, Beta1, Beta2, Eps, WeightDecay, StepCount,
                Fused switch { null => -1, true => 1, false => 0 }), "adamw step");
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
