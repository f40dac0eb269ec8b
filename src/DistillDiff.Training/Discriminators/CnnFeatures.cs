namespace DistillDiff.Training.Discriminators;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;

/// <summary>
/// A small trainable CNN for [B, C, H, W] images: a 3x3 conv, then stride-2 4x4 convs doubling the channels, each
/// followed by LeakyReLU(0.2); features after each (full, 1/2 and 1/4 resolution with the defaults).
/// </summary>
public sealed class CnnFeatures : FeatureNetwork
{
    private readonly ModuleList<Conv2d> _convs;

    public CnnFeatures(int inChannels, int channels = 32, int levels = 3)
    {
        _convs = RegisterModule("convs", new ModuleList<Conv2d>());
        _convs.Add(new Conv2d(inChannels, channels, 3, padding: 1));
        for (var i = 1; i < levels; i++) _convs.Add(new Conv2d(channels << (i - 1), channels << i, 4, stride: 2, padding: 1));
    }

    public override IReadOnlyList<Tensor> Forward(Tensor x, Tensor? labels, Func<long[], Tensor>? noise)
    {
        using var scope = Torch.NewDisposeScope();
        var features = new List<Tensor>();
        var h = x;
        foreach (var conv in _convs)
        {
            h = conv.Forward(h).LeakyRelu(0.2);
            features.Add(h);
        }
        foreach (var f in features) scope.MoveOut(f);
        return features;
    }
}
