namespace DistillDiff.Engine.Nn;

/// <summary>y = x W^T + b, weight [out, in] as in PyTorch.</summary>
public sealed class Linear : Layer
{
    public Linear(long inFeatures, long outFeatures, bool bias = true)
    {
        Weight = RegisterParameter("weight", Init.DefaultUniform([outFeatures, inFeatures], inFeatures));
        if (bias) Bias = RegisterParameter("bias", Init.DefaultUniform([outFeatures], inFeatures));
    }

    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    /// <summary>
    /// While set, <see cref="Forward"/> returns ForwardHook(x, the plain forward) instead: a caller changes what this
    /// weight layer computes without a new module type, so a model's own blocks run unchanged. Post-training
    /// quantization uses it to quantize-dequantize the layer's input and output in libtorch at the points where the
    /// exported QDQ graph quantizes them. The hook owns none of the layer's tensors; null is the plain layer.
    /// </summary>
    public Func<Tensor, Func<Tensor, Tensor>, Tensor>? ForwardHook { get; set; }

    public override Tensor Forward(Tensor x) => ForwardHook is { } hook ? hook(x, Plain) : Plain(x);

    private Tensor Plain(Tensor x) => Functional.Linear(x, Weight, Bias);
}
