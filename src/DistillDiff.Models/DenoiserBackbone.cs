namespace DistillDiff.Models;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;

/// <summary>
/// A network that maps a noisy sample, its timestep and optional class labels to a same-shaped output. What the
/// output means (epsilon, x0, v, or x and epsilon channels) is decided by the parameterisation wrapper in
/// DistillDiff.Diffusion, so every backbone works with every parameterisation.
///
/// Time convention shared by the whole framework: continuous t in [0, 1] (0 = data, 1 = pure noise) and the
/// network's timestep input are tied by timestep = t * N - 1 with N = num_train_timesteps (1000 by default), so
/// the discrete diffusers index n is t = (n + 1) / N, and the 4-step trailing timesteps {999, 749, 499, 249} are
/// t = {1, 0.75, 0.5, 0.25}.
/// </summary>
public abstract class DenoiserBackbone : Module
{
    /// <param name="sample">[B, C, H, W] images or [B, D] vectors.</param>
    /// <param name="timestep">[B] float timesteps on the network scale (see the class remarks).</param>
    /// <param name="classLabels">[B] int64 labels, or null for an unconditional call.</param>
    public abstract Tensor Forward(Tensor sample, Tensor timestep, Tensor? classLabels = null);

    /// <summary>
    /// The encoder's intermediate activations, shallow to deep (a UNet's down-block outputs and mid block; an MLP's
    /// hidden states), for discriminators that use a frozen denoiser as their feature network (LADD, Sauer et al. 2024).
    /// </summary>
    public virtual IReadOnlyList<Tensor> EncoderFeatures(Tensor sample, Tensor timestep, Tensor? classLabels = null) =>
        throw new NotSupportedException($"{GetType().Name} does not expose encoder features");

    /// <summary>Channels (or features) of the sample the network takes and returns.</summary>
    public abstract int SampleChannels { get; }

    /// <summary>Output channels; twice SampleChannels for the "both" parameterisation (x and epsilon heads).</summary>
    public abstract int OutChannels { get; }
}
