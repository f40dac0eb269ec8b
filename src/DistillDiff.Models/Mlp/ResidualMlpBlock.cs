namespace DistillDiff.Models.Mlp;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;
using DistillDiff.Models.Profiling;

/// <summary>x + linear(silu(norm(x) + time_emb_proj(silu(temb)))): the conditioning enters every block, as in a UNet resnet.</summary>
public sealed class ResidualMlpBlock : Module
{
    private readonly LayerNorm? _norm;
    private readonly Linear _timeEmbProj, _linear;

    public ResidualMlpBlock(long hidden, long tembDim, bool layerNorm)
    {
        if (layerNorm) _norm = RegisterModule("norm", new LayerNorm(hidden));
        _timeEmbProj = RegisterModule("time_emb_proj", new Linear(tembDim, hidden));
        _linear = RegisterModule("linear", new Linear(hidden, hidden));
    }

    public Tensor Forward(Tensor x, Tensor temb)
    {
        using var scope = Torch.NewDisposeScope();
        var h = (_norm?.Forward(x) ?? x) + _timeEmbProj.Counted(temb.Silu());
        return scope.MoveOut(x + _linear.Counted(h.Silu()));
    }
}
