namespace DistillDiff.Training.Discriminators;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;

/// <summary>
/// The feature network under a discriminator's heads: a sample to a list of feature maps, shallow to deep, each
/// [B, C] or [B, C, H, W]. Frozen ones (a teacher's encoder) register no parameters; trainable ones train with the heads.
/// </summary>
public abstract class FeatureNetwork : Module
{
    /// <param name="x">[B, ...] clean samples (real data or a student's x0 prediction).</param>
    /// <param name="labels">[B] class labels for class-conditional networks, or null.</param>
    /// <param name="noise">Draws standard normal noise of a shape whose first dimension is the batch (StepContext.Randn, so
    /// data-parallel ranks draw their rows of the global batch); null adds none.</param>
    public abstract IReadOnlyList<Tensor> Forward(Tensor x, Tensor? labels, Func<long[], Tensor>? noise);
}
