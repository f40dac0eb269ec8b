namespace DistillDiff.Engine.Nn;

/// <summary>2-d convolution, weight [out, in/groups, k, k]; groups = in gives a depthwise convolution.</summary>
public sealed class Conv2d : Layer
{
    private readonly int _stride, _padding, _dilation;
    private readonly long _groups;

    public Conv2d(long inChannels, long outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, long groups = 1, bool bias = true)
    {
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d: channels ({inChannels} in, {outChannels} out) must be divisible by groups ({groups})");
        (_stride, _padding, _dilation, _groups) = (stride, padding, dilation, groups);
        var fanIn = inChannels / groups * kernelSize * kernelSize;
        Weight = RegisterParameter("weight", Init.DefaultUniform([outChannels, inChannels / groups, kernelSize, kernelSize], fanIn));
        if (bias) Bias = RegisterParameter("bias", Init.DefaultUniform([outChannels], fanIn));
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

    private Tensor Plain(Tensor x) => Functional.Conv2d(x, Weight, Bias, _stride, _padding, _dilation, _groups);
}
