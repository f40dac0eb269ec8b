namespace DistillDiff.Training.Discriminators;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;

/// <summary>A small trainable MLP for [B, D] data: features after each LeakyReLU(0.2) layer.</summary>
public sealed class MlpFeatures : FeatureNetwork
{
    private readonly ModuleList<Linear> _layers;

    public MlpFeatures(int dataDim, int hidden = 128, int layers = 3)
    {
        _layers = RegisterModule("layers", new ModuleList<Linear>());
        for (var i = 0; i < layers; i++) _layers.Add(new Linear(i == 0 ? dataDim : hidden, hidden));
    }

    public override IReadOnlyList<Tensor> Forward(Tensor x, Tensor? labels, Func<long[], Tensor>? noise)
    {
        using var scope = Torch.NewDisposeScope();
        var features = new List<Tensor>();
        var h = x;
        foreach (var layer in _layers)
        {
            h = layer.Forward(h).LeakyRelu(0.2);
            features.Add(h);
        }
        foreach (var f in features) scope.MoveOut(f);
        return features;
    }
}
