namespace DistillDiff.Training.Methods;

/// <summary>
/// A phase a method plans: what the loop trains (<see cref="Build"/> makes the method instance when the phase starts,
/// after the earlier phases have published their models), where the result is published, and how it is evaluated.
/// </summary>
public sealed record PlannedPhase(
    string Name,                      // phase name: checkpoints, metrics, TensorBoard tags
    string Model,                     // published model folder under models/, e.g. "student-4steps"
    int Steps,                        // loop iterations
    int BatchSize,
    Func<ITrainingMethod> Build,
    string Sampler,                   // SamplerRegistry name the published model is evaluated with
    int[] EvalSteps,                  // sampling steps of the step-count curve
    string Series,                    // step-count curve series this model joins
    LossPlot Plot,
    int? SamplingSteps = null);      // steps the published student was distilled for (distilldiff.json); null for a teacher
