namespace DistillDiff.Training.Evaluation;

using DistillDiff.Data.Datasets;
using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Samplers;
using DistillDiff.Engine;
using DistillDiff.Training.Config;

/// <summary>
/// Measures how close a denoiser's samples are to the data, with its own seeded generator (so evaluating never
/// changes the training's random stream, and every model is judged on the same noise and the same reference set).
/// Metrics are <see cref="SampleScorer"/>'s: for images FD, KID, precision and recall in the pinned Fashion-MNIST
/// classifier's feature space plus pooled-pixel FD/SW; for 2-D data SW₂, energy distance and MMD.
/// </summary>
public sealed class Evaluator : IDisposable
{
    private const int Chunk = 500;
    private readonly IDataset _data;
    private readonly EvalConfig _config;
    private readonly Device _device;
    private readonly bool _conditional;
    private readonly SchedulerConfig _scheduler;
    private readonly SampleScorer _scorer;
    private readonly ClassifierFeatures? _classifier;
    private readonly Tensor _referencePoints;

    /// <param name="scheduler">Settings the samplers are built from (the model's schedule and parameterisation).</param>
    public Evaluator(IDataset data, EvalConfig config, Device device, bool conditional, SchedulerConfig scheduler)
    {
        (_data, _config, _device, _conditional, _scheduler) = (data, config, device, conditional, scheduler);
        // A fixed, seeded subset of the data as the reference set.
        var n = Math.Min(config.NumSamples, data.Count);
        var rng = new Random((int)(config.Seed % int.MaxValue));
        var idx = Enumerable.Range(0, (int)data.Count).Select(i => (long)i).OrderBy(_ => rng.Next()).Take((int)n).ToArray();
        using var scope = Torch.NewDisposeScope();
        var batch = data.GetBatch(idx, Device.CPU);
        // Fashion-MNIST is scored in the pinned classifier's feature space; other images only in pixel space.
        if (data.SampleShape is [1, 28, 28]) _classifier = new ClassifierFeatures();
        _scorer = new SampleScorer(batch.X, _classifier, config.Projections, config.Seed);
        _referencePoints = DisposeScope.Detach(batch.X.Float().Cpu().Flatten(1).Contiguous());
    }

    public bool IsImage => _data.SampleShape.Length == 3;

    public string PrimaryMetric => _scorer.PrimaryMetric;

    /// <summary>How many reference samples every number is measured against.</summary>
    public long ReferenceCount => _scorer.ReferenceCount;

    /// <summary>Samples with a registered sampler ("pd", "few_step", "ddim", ...) in <paramref name="steps"/> steps, then scores them.</summary>
    public (Dictionary<string, double> Metrics, Tensor Samples) Evaluate(Denoiser denoiser, string sampler, int steps)
    {
        var scheduler = SamplerRegistry.Create(sampler, _scheduler);
        using var gen = new Generator(_config.Seed, _device);
        var parts = new List<Tensor>();
        using var scope = Torch.NewDisposeScope();
        for (var done = 0; done < ReferenceCount; done += Chunk)
        {
            var n = (int)Math.Min(Chunk, ReferenceCount - done);
            var labels = _conditional ? Torch.RandInt(0, _data.NumClasses, [n], gen, DType.Int64, _device) : null;
            var x = Sampling.Sample(denoiser, scheduler, steps, [n, .. _data.SampleShape], labels, gen);
            parts.Add(x.Cpu());
        }
        var samples = Torch.Cat(parts);
        var metrics = Score(samples);
        return (metrics, scope.MoveOut(samples));
    }

    public Dictionary<string, double> Score(Tensor samples) => _scorer.Score(samples);

    /// <summary>Writes a PNG of samples: at most eval.grid_samples images as a grid, or all points as a density picture.</summary>
    public void SavePicture(Tensor samples, string path)
    {
        if (_config.GridSamples > 0) SamplePicture.Save(samples, path, _config.GridSamples);
        if (!IsImage && samples.Dim == 2 && samples.Size(1) == 2)
        {
            using var scope = Torch.NewDisposeScope();
            Plots.DensityChart.Save(Path.ChangeExtension(path, null) + "_density", samples.Float().Cpu().Contiguous().ToArray<float>(),
                _referencePoints.ToArray<float>(), Path.GetFileNameWithoutExtension(path));
        }
    }

    public void Dispose()
    {
        _scorer.Dispose();
        _classifier?.Dispose();
        _referencePoints.Dispose();
    }
}
