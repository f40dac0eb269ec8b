namespace DistillDiff.Engine.Nn;

/// <summary>Zeroes elements with probability p in training mode (scaling the rest by 1/(1-p)); identity in eval.</summary>
public sealed class Dropout : Layer
{
    private readonly double _p;

    public Dropout(double p) => _p = p is >= 0 and < 1 ? p : throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1)");

    public override Tensor Forward(Tensor x) => _p == 0 || !Training ? x.Alias() : Functional.Dropout(x, _p, true);
}
