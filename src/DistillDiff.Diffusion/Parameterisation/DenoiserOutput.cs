namespace DistillDiff.Diffusion.Parameterisation;

using DistillDiff.Engine;

/// <summary>
/// One denoiser evaluation: the data estimate x0-hat, the noise estimate eps-hat (consistent with each other:
/// z = alpha x0-hat + sigma eps-hat) and the network's raw output (2C channels for "both"). Disposing disposes all three.
/// </summary>
public sealed record DenoiserOutput(Tensor X0, Tensor Eps, Tensor Raw) : IDisposable
{
    public void Dispose()
    {
        X0.Dispose();
        Eps.Dispose();
        Raw.Dispose();
    }
}
