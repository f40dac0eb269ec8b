namespace DistillDiff.Training.Loop;

using DistillDiff.Data.Datasets;
using DistillDiff.Engine;

/// <summary>
/// What a method gets for one iteration: the batch (labels only for class-conditional models), the iteration index
/// within the phase, and the run's noise generator, the only source of randomness a method may draw from (it is saved
/// in every checkpoint, so a resumed run draws the same numbers).
/// </summary>
public sealed record StepContext(Batch Batch, Tensor? Labels, long Step, Generator Noise, Device Device)
{
    public Tensor X => Batch.X;
}
