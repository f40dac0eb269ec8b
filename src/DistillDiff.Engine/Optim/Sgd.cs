namespace DistillDiff.Engine.Optim;

using static DistillDiff.Engine.Native.NativeMethods;

/// <summary>SGD with optional (Nesterov) momentum and L2 weight decay, as torch.optim.SGD.</summary>
public sealed class Sgd : Optimizer
{
    private readonly Tensor[] _momentum;
    private readonly IntPtr[] _buf;

    public Sgd(IEnumerable<(string Name, Tensor Parameter)> parameters, double lr, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false) : base(parameters, lr)
    {
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Nesterov momentum needs momentum > 0 and dampening = 0");
        (Momentum, Dampening, WeightDecay, Nesterov) = (momentum, dampening, weightDecay, nesterov);
        _momentum = momentum != 0 ? ZerosLikeParameters() : [];
        _buf = Tensor.Handles(_momentum);
    }

    public double Momentum { get; }
    public double Dampening { get; }
    public double WeightDecay { get; }
    public bool Nesterov { get; }

    public override unsafe void Step()
    {
        var hs = ParameterHandles;
        var first = StepCount == 0;
        StepCount++;
        fixed (IntPtr* p = hs)
        fixed (IntPtr* b = _buf)
            Tensor.Check(dd_sgd_step(p, b, hs.Length, LearningRate, Momentum, Dampening, WeightDecay, Nesterov ? 1 : 0, first ? 1 : 0), "sgd step");
    }

    public override Dictionary<string, Tensor> StateDict() => SaveState(("momentum_buffer", _momentum));

    public override void LoadStateDict(IReadOnlyDictionary<string, Tensor> state) => LoadState(state, ("momentum_buffer", _momentum));

    public override void Dispose()
    {
        foreach (var t in _momentum) t.Dispose();
        base.Dispose();
    }
}
