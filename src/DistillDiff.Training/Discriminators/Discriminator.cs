namespace DistillDiff.Training.Discriminators;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;

/// <summary>
/// ADD's discriminator: a feature network (frozen or trainable) and one small trainable head per feature level
/// (Sauer et al. 2023, sec. 3.2). Its output is the list of the heads' logits; the hinge loss sums over heads.
/// </summary>
public sealed class Discriminator : Module
{
    private readonly FeatureNetwork _features;
    private readonly ModuleList<DiscriminatorHead> _heads;

    /// <param name="probe">A sample shaped [1, ...] (and its label) to learn the feature levels' channel counts.</param>
    public Discriminator(FeatureNetwork features, Tensor probe, Tensor? probeLabel, int hidden, int numClasses)
    {
        _features = RegisterModule("features", features);
        _heads = RegisterModule("heads", new ModuleList<DiscriminatorHead>());
        using var scope = Torch.NewDisposeScope();
        using var noGrad = Torch.NoGrad();
        foreach (var f in features.Forward(probe, probeLabel, null))
            _heads.Add(new DiscriminatorHead(f.Size(1), hidden, numClasses));
    }

    public int Heads => _heads.Count;

    public IReadOnlyList<Tensor> Forward(Tensor x, Tensor? labels, Func<long[], Tensor>? noise)
    {
        using var scope = Torch.NewDisposeScope();
        var features = _features.Forward(x, labels, noise);
        var logits = features.Select((f, i) => _heads[i].Forward(f, labels)).ToList();
        foreach (var l in logits) scope.MoveOut(l);
        return logits;
    }
}
