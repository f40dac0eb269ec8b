namespace DistillDiff.Training.Evaluation;

using DistillDiff.Data.Datasets;
using DistillDiff.Data.Metrics;
using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Engine;
using DistillDiff.Training.Config;

/// <summary>
/// Measures how close a denoiser's samples are to the data, with its own seeded generator (so evaluating never
/// changes the training's random stream, and every model is judged on the same noise and the same reference set).
/// Metrics: 2-D data: sliced Wasserstein-2 ("swd") and energy distance ("energy"); images: Fréchet distance of
/// 7×7 average-pooled pixels ("fd_pool7", an FID stand-in that needs no Inception network) and sliced Wasserstein-2
/// on the same features ("swd_pool7"). Lower is better for all.
/// </summary>
public sealed class Evaluator : IDisposable
{
    private const int Chunk = 500;
    private readonly IDataset _data;
    private readonly EvalConfig _config;
    private readonly Device _device;
    private readonly bool _conditional;
    private readonly Tensor _reference;

    public Evaluator(IDataset data, EvalConfig config, Device device, bool conditional)
    {
        (_data, _config, _device, _conditional) = (data, config, device, conditional);
        // A fixed, seeded subset of the data as the reference set.
        var n = Math.Min(config.NumSamples, data.Count);
        var rng = new Random((int)(config.Seed % int.MaxValue));
        var idx = Enumerable.Range(0, (int)data.Count).Select(i => (long)i).OrderBy(_ => rng.Next()).Take((int)n).ToArray();
        using var scope = Torch.NewDisposeScope();
        var batch = data.GetBatch(idx, Device.CPU);
        _reference = DisposeScope.Detach(Features(batch.X));
    }

    public bool IsImage => _data.SampleShape.Length == 3;

    public string PrimaryMetric => IsImage ? "fd_pool7" : "swd";

    /// <summary>Samples with continuous DDIM in <paramref name="steps"/> steps, then scores them.</summary>
    public (Dictionary<string, double> Metrics, Tensor Samples) Evaluate(Denoiser denoiser, int steps)
    {
        using var gen = new Generator(_config.Seed, _device);
        var parts = new List<Tensor>();
        using var scope = Torch.NewDisposeScope();
        for (var done = 0; done < _reference.Size(0); done += Chunk)
        {
            var n = (int)Math.Min(Chunk, _reference.Size(0) - done);
            var labels = _conditional ? Torch.RandInt(0, _data.NumClasses, [n], gen, DType.Int64, _device) : null;
            var x = ContinuousDdim.Sample(denoiser, steps, [n, .. _data.SampleShape], labels, gen);
            parts.Add(x.Cpu());
        }
        var samples = Torch.Cat(parts);
        var metrics = Score(samples);
        return (metrics, scope.MoveOut(samples));
    }

    public Dictionary<string, double> Score(Tensor samples)
    {
        using var scope = Torch.NewDisposeScope();
        var feats = Features(samples);
        using var gen = new Generator(_config.Seed + 1);
        var swd = SlicedWasserstein.Distance(feats, _reference, _config.Projections, gen);
        return IsImage
            ? new Dictionary<string, double> { ["fd_pool7"] = FrechetDistance.Compute(feats, _reference), ["swd_pool7"] = swd }
            : new Dictionary<string, double> { ["swd"] = swd, ["energy"] = EnergyDistance.Compute(Subset(feats), Subset(_reference)) };
    }

    /// <summary>Writes a PNG of samples: at most eval.grid_samples images as a grid, or all points as a density picture.</summary>
    public void SavePicture(Tensor samples, string path)
    {
        if (_config.GridSamples > 0) SamplePicture.Save(samples, path, _config.GridSamples);
        if (!IsImage && samples.Dim == 2 && samples.Size(1) == 2)
        {
            using var scope = Torch.NewDisposeScope();
            Plots.DensityChart.Save(Path.ChangeExtension(path, null) + "_density", samples.Float().Cpu().Contiguous().ToArray<float>(),
                _reference.Contiguous().ToArray<float>(), Path.GetFileNameWithoutExtension(path));
        }
    }

    // Energy distance is O(N^2): a 1,000-point subset keeps it cheap and still stable.
    private static Tensor Subset(Tensor t) => t.Size(0) > 1000 ? t.Narrow(0, 0, 1000) : t.Alias();

    private Tensor Features(Tensor x) => IsImage ? ImageFeatures.Pooled(x.Float().Cpu()) : x.Float().Cpu().Flatten(1);

    public void Dispose() => _reference.Dispose();
}
