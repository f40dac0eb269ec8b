namespace DistillDiff.Engine.Nn;

/// <summary>A lookup table [num, dim] initialised N(0, 1) as in PyTorch; input holds int64 indices.</summary>
public sealed class Embedding : Layer
{
    public Embedding(long numEmbeddings, long dim) =>
        Weight = RegisterParameter("weight", Init.Normal([numEmbeddings, dim], 1.0));

    public Tensor Weight { get; }

    public override Tensor Forward(Tensor indices) => Functional.Embedding(indices, Weight);
}
