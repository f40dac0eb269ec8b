namespace DistillDiff.Training.Loop;

/// <summary>One run of the shared loop: a method trained for <see cref="Steps"/> iterations, then published.</summary>
public sealed record Phase(
    string Name,          // in checkpoints, metrics.jsonl and TensorBoard tags, e.g. "teacher", "distill-4", "adversarial"
    long GlobalOffset,    // global step of this phase's step 0
    int Steps,            // loop iterations
    int BatchSize,
    string ModelDir);     // where the published model folder goes
