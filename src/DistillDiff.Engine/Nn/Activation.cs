namespace DistillDiff.Engine.Nn;

/// <summary>A parameter-free activation by name, as configs name them (diffusers act_fn: silu, swish, gelu, ...).</summary>
public sealed class Activation : Layer
{
    private readonly Func<Tensor, Tensor> _f;

    public Activation(string name)
    {
        Name = name;
        _f = name switch
        {
            "silu" or "swish" => x => x.Silu(),
            "gelu" => x => x.Gelu(),
            "gelu_tanh" => x => x.Gelu(tanhApproximation: true),
            "relu" => x => x.Relu(),
            "tanh" => x => x.Tanh(),
            "identity" => x => x.Alias(),
            _ => throw new ArgumentException($"unknown activation '{name}' (expected silu, swish, gelu, gelu_tanh, relu, tanh or identity)"),
        };
    }

    public string Name { get; }

    public override Tensor Forward(Tensor x) => _f(x);
}
