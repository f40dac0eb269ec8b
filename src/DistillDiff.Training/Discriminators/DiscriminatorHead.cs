namespace DistillDiff.Training.Discriminators;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;

/// <summary>
/// A small trainable head on one feature level, applied per position (a [B, C] level has one position, a
/// [B, C, H, W] level H*W): phi = LeakyReLU(W1 f), logit = w2 . phi, plus with classes the projection term
/// embed(y) . phi (Miyato &amp; Koyama 2018), as ADD's heads are conditioned.
/// </summary>
public sealed class DiscriminatorHead : Module
{
    private readonly Linear _hidden, _out;
    private readonly Embedding? _embed;

    public DiscriminatorHead(long channels, int hidden, int numClasses)
    {
        _hidden = RegisterModule("hidden", new Linear(channels, hidden));
        _out = RegisterModule("out", new Linear(hidden, 1));
        if (numClasses > 0) _embed = RegisterModule("embed", new Embedding(numClasses, hidden));
    }

    /// <param name="feature">[B, C] or [B, C, H, W].</param>
    /// <param name="labels">[B] labels when the head is class-conditional.</param>
    /// <returns>[B, positions] logits.</returns>
    public Tensor Forward(Tensor feature, Tensor? labels)
    {
        using var scope = Torch.NewDisposeScope();
        var tokens = feature.Dim == 2 ? feature.Unsqueeze(1) : feature.Flatten(2).Transpose(1, 2);   // [B, T, C]
        var phi = _hidden.Forward(tokens).LeakyRelu(0.2);
        var logits = _out.Forward(phi).Squeeze(-1);
        if (_embed != null)
        {
            if (labels is null) throw new ArgumentException("this discriminator is class-conditional: pass the labels");
            logits = logits + (_embed.Forward(labels).Unsqueeze(1) * phi).Sum(-1);
        }
        return scope.MoveOut(logits);
    }
}
