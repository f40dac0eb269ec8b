namespace DistillDiff.Engine.Nn;

/// <summary>Layers applied in order, named "0", "1", ... as torch.nn.Sequential.</summary>
public sealed class Sequential : Layer
{
    private readonly List<Layer> _layers = new();

    public Sequential(params Layer[] layers)
    {
        foreach (var l in layers) Append(l);
    }

    public int Count => _layers.Count;

    public Layer this[int i] => _layers[i];

    public Sequential Append(Layer layer)
    {
        _layers.Add(RegisterModule(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer));
        return this;
    }

    public override Tensor Forward(Tensor x)
    {
        if (_layers.Count == 0) return x.Alias();
        using var scope = Torch.NewDisposeScope();
        var h = x;
        foreach (var l in _layers) h = l.Forward(h);
        return scope.MoveOut(h);
    }
}
