namespace DistillDiff.Engine.Nn;

/// <summary>Transposed 2-d convolution, weight [in, out/groups, k, k] as in PyTorch.</summary>
public sealed class ConvTranspose2d : Layer
{
    private readonly int _stride, _padding, _outputPadding;

    public ConvTranspose2d(long inChannels, long outChannels, int kernelSize, int stride = 1, int padding = 0, int outputPadding = 0, bool bias = true)
    {
        (_stride, _padding, _outputPadding) = (stride, padding, outputPadding);
        // PyTorch computes fan_in from weight.size(1) * k * k for transposed convolutions.
        var fanIn = outChannels * kernelSize * kernelSize;
        Weight = RegisterParameter("weight", Init.DefaultUniform([inChannels, outChannels, kernelSize, kernelSize], fanIn));
        if (bias) Bias = RegisterParameter("bias", Init.DefaultUniform([outChannels], fanIn));
    }

    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public override Tensor Forward(Tensor x) => Functional.ConvTranspose2d(x, Weight, Bias, _stride, _padding, _outputPadding);
}
