namespace DistillDiff.Training.Evaluation;

using DistillDiff.Engine;

/// <summary>
/// What `distilldiff eval` scores: something that draws samples from the generator's noise. A model folder in
/// libtorch (<see cref="LoadedModel"/>) is one; the deployment project adds a fake-quantized folder and an ONNX
/// model in ONNX Runtime, so they are judged on the same noise, labels and reference set as the float model.
/// </summary>
public interface IEvalModel : IDisposable
{
    /// <summary>The row's name (also the sample picture's file name): letters, digits, '.', '-', '_'.</summary>
    string Name { get; }

    /// <summary>The model folder (a run's config.yaml two folders up gives 2-D reference data).</summary>
    string Folder { get; }

    /// <summary>One sample's shape without the batch dim: [C, H, W] or [D].</summary>
    long[] SampleShape { get; }

    /// <summary>Class labels the model takes (0 for an unconditional model).</summary>
    int NumClasses { get; }

    bool IsImage => SampleShape.Length == 3;

    /// <summary>The sampler the model was trained (or exported) for, used when eval is given no --sampler.</summary>
    string OwnSampler => "pd";

    /// <summary>
    /// Samples in <paramref name="steps"/> steps of <paramref name="sampler"/>; the starting noise is the first draw
    /// from <paramref name="gen"/> (N(0, I) of [count, ...SampleShape]), as <c>Sampling.Sample</c> draws it; noise the
    /// sampler's steps draw comes from <paramref name="stepNoise"/> when given.
    /// </summary>
    Tensor Sample(string sampler, int steps, long count, Tensor? labels, Generator gen, Generator? stepNoise = null);
}
