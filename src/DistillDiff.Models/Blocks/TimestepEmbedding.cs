namespace DistillDiff.Models.Blocks;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;
using DistillDiff.Models.Profiling;

/// <summary>diffusers TimestepEmbedding: linear_1, activation, linear_2, turning sinusoidal features into the conditioning vector.</summary>
public sealed class TimestepEmbedding : Layer
{
    private readonly Linear _linear1, _linear2;
    private readonly Activation _act;

    public TimestepEmbedding(long inChannels, long timeEmbedDim, string actFn = "silu")
    {
        _linear1 = RegisterModule("linear_1", new Linear(inChannels, timeEmbedDim));
        _act = RegisterModule("act", new Activation(actFn));
        _linear2 = RegisterModule("linear_2", new Linear(timeEmbedDim, timeEmbedDim));
    }

    public override Tensor Forward(Tensor x)
    {
        using var scope = Torch.NewDisposeScope();
        return scope.MoveOut(_linear2.Counted(_act.Forward(_linear1.Counted(x))));
    }
}
