namespace DistillDiff.Training.Loop;

using DistillDiff.Data;
using DistillDiff.Data.Datasets;
using DistillDiff.Engine;
using DistillDiff.Engine.Amp;
using DistillDiff.Engine.Nn;
using DistillDiff.Engine.Optim;
using DistillDiff.Engine.Serialization;
using DistillDiff.Training.Checkpoints;
using DistillDiff.Training.Distributed;
using DistillDiff.Training.Methods;
using DistillDiff.Training.Runs;
using DistillDiff.Training.Trainers;
using Serilog;

/// <summary>
/// The one optimisation loop every method runs in (FastGen's trainer). Per iteration it draws a batch, asks the method
/// for the iteration's losses, differentiates their total, and steps the optimizers the method says are active, each
/// with its own LR schedule, clipping and EMA. It logs every named loss, checkpoints and restores every trained module,
/// optimizer, EMA, the data order and the random generators, stops on divergence naming the last good checkpoint, and
/// stops cleanly (with a checkpoint) when <see cref="StopRequested"/> says so. It knows nothing of any method.
/// </summary>
public sealed class TrainingLoop
{
    private readonly IDataset _data;
    private readonly BatchSampler _dataOrder;
    private readonly Generator _noise;
    private readonly Device _device;
    private readonly bool _conditional;
    private readonly MetricsLog? _metrics;   // null on data-parallel ranks other than 0, which write nothing
    private readonly CheckpointStore _store;
    private readonly RunDirectory _run;
    private readonly int _logEvery;
    private readonly int _checkpointEvery;
    private readonly ILogger _log;
    private readonly TrainerState? _resume;
    private readonly string? _resumeDir;
    private readonly DataParallel? _dp;

    /// <param name="dp">
    /// Data-parallel training (null: one process): each rank takes its shard of the global batch, starts from rank
    /// 0's weights, and averages gradients before clipping and stepping; rank 0 alone writes metrics and checkpoints.
    /// </param>
    public TrainingLoop(IDataset data, BatchSampler dataOrder, Generator noise, Device device, bool conditional, MetricsLog? metrics,
        CheckpointStore store, RunDirectory run, int logEvery, int checkpointEvery, ILogger log, TrainerState? resume, string? resumeDir,
        List<string> completed, DataParallel? dp = null)
    {
        (_data, _dataOrder, _noise, _device, _conditional) = (data, dataOrder, noise, device, conditional);
        (_metrics, _store, _run, _logEvery, _checkpointEvery, _log) = (metrics, store, run, logEvery, checkpointEvery, log);
        (_resume, _resumeDir, Completed, _dp) = (resume, resumeDir, completed, dp);
        if (metrics is null && IsMain) throw new ArgumentNullException(nameof(metrics), "rank 0 (or a single process) writes the metrics");
    }

    private bool IsMain => _dp is null || _dp.Rank == 0;

    /// <summary>Phases finished so far (saved in every checkpoint).</summary>
    public List<string> Completed { get; }

    /// <summary>
    /// Makes each phase's precision and layout (run.precision, run.channels_last): the forward pass and losses run in
    /// its autocast scope, its loss scaler (fp16) skips steps whose gradients overflowed and is checkpointed with the
    /// phase. Null trains in float32.
    /// </summary>
    public Func<MixedPrecision>? NewPrecision { get; set; }

    /// <summary>Asked once per iteration; when it returns true the loop saves a checkpoint and returns false from Run.</summary>
    public Func<bool>? StopRequested { get; set; }

    /// <summary>How often data-parallel ranks agree on a stop request (iterations).</summary>
    private const int StopPollEvery = 10;

    /// <summary>
    /// Trains <paramref name="method"/> for the phase, resuming it if the run's checkpoint is inside it, then hands the
    /// published module (and its EMA) to <paramref name="publish"/> and marks the phase done. False when stopped early.
    /// </summary>
    public bool Run(Phase phase, ITrainingMethod method, Action<Module, ExponentialMovingAverage?> publish)
    {
        var modules = method.Trained;
        foreach (var m in modules) m.Module.Train();
        var amp = NewPrecision?.Invoke() ?? new MixedPrecision(Precision.Fp32, _device);
        foreach (var m in modules) amp.Prepare(m.Module);   // before the optimizers: their state takes the layout
        foreach (var m in modules) _dp?.BroadcastFromMain(m.Module);   // before the EMAs copy the weights
        var slots = modules.Select(m => new Slot(m)).ToList();
        var sums = new Dictionary<string, (Tensor Sum, int Count)>(StringComparer.Ordinal);
        try
        {
            long step = 0;
            if (_resume is { } r && r.Phase == phase.Name && _resumeDir != null)
            {
                step = r.Step;
                foreach (var s in slots) s.Load(_resumeDir, slots.Count == 1);
                if (r.LossScaler is { } scaler) amp.Scaler?.Restore(scaler);
                Generator.SetDefaultState(Convert.FromBase64String(r.DefaultGenerator));
            }
            if (_resume is { } partial && partial.Phase == phase.Name && _resumeDir != null)
            {
                // The losses since the last logged step, so the first line after the resume averages a full window.
                foreach (var (name, sum) in partial.LossSums)
                    sums[name] = (DisposeScope.Detach(Torch.Scalar(sum, DType.Float32, _device)), partial.LossCounts.GetValueOrDefault(name));
            }
            using var bar = new ProgressBar(phase.Name, phase.Steps, step);
            var status = "";
            while (step < phase.Steps)
            {
                var stop = StopRequested?.Invoke() == true;
                // Ranks agree on a stop (one signal may reach only some of them) every few steps, not every step:
                // reading the agreed flag is a host sync that would stall a GPU's queue each step.
                if (_dp != null) stop = step % StopPollEvery == 0 && _dp.Any(stop, _device);
                if (stop)
                {
                    bar.Dispose();
                    SaveCheckpoint(phase, step, slots, sums, amp.Scaler);
                    _log.Information("{Phase}: stopped at step {Step}; continue with `distilldiff resume {Run}`", phase.Name, step, _run.Root);
                    return false;
                }
                using (var scope = Torch.NewDisposeScope())
                {
                    var batch = _data.GetBatch(NextIndices(phase.BatchSize), _device);
                    batch = batch with { X = amp.Input(batch.X) };
                    var active = slots.Where(s => method.IsActive(s.Name, step)).ToList();
                    foreach (var s in active) s.Settings.Schedule.Apply(s.Optimizer);
                    StepLosses losses;
                    using (amp.Autocast())
                        losses = method.Step(new StepContext(batch, _conditional ? batch.Labels : null, step, _noise, _device)
                        {
                            Rank = _dp?.Rank ?? 0,
                            WorldSize = _dp?.WorldSize ?? 1,
                        });
                    // Every module's gradients are cleared, not only the active ones': a generator loss leaves
                    // gradients on the discriminator that its next step must not see.
                    foreach (var s in slots) s.Optimizer.ZeroGrad();
                    amp.Backward(losses.Total);
                    var stepped = active.SelectMany(s => s.Parameters).ToList();
                    _dp?.AverageGradients(stepped);
                    // fp16: a step whose gradients overflowed is skipped (the loss scaler has backed off); the
                    // gradients are averaged first, so every rank makes the same decision.
                    if (amp.Unscale(stepped))
                        foreach (var s in active) s.Step();
                    foreach (var (name, value) in losses.Logged) Accumulate(sums, name, value);
                }
                step++;
                if (step % _logEvery == 0 || step == phase.Steps)
                    status = Log(phase, step, sums, slots, bar, amp.Scaler);
                bar.Update(step, status);
                if (step % _checkpointEvery == 0 || step == phase.Steps)
                    SaveCheckpoint(phase, step, slots, sums, amp.Scaler);
            }
            bar.Dispose();
            var published = slots.Single(s => s.Name == method.Published);
            publish(published.Module, published.Ema);
            Completed.Add(phase.Name);
            SaveCheckpoint(phase, step, []);
            _dp?.Barrier();   // the next phase on every rank reads the model folder rank 0 just published
            return true;
        }
        finally
        {
            foreach (var (sum, _) in sums.Values) sum.Dispose();
            foreach (var s in slots) s.Dispose();
        }
    }

    private static void Accumulate(Dictionary<string, (Tensor Sum, int Count)> sums, string name, Tensor value)
    {
        if (!sums.TryGetValue(name, out var entry))
            entry = (DisposeScope.Detach(Torch.Zeros([], DType.Float32, value.Device)), 0);
        entry.Sum.Add_(value.Detach().To(DType.Float32));
        sums[name] = (entry.Sum, entry.Count + 1);
    }

    /// <summary>Writes the averages since the last log line (reading them syncs with the device, so only here).</summary>
    private string Log(Phase phase, long step, Dictionary<string, (Tensor Sum, int Count)> sums, List<Slot> slots, ProgressBar bar,
        GradScaler? scaler)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        // The losses of the global batch: every rank has the same names and counts, so one all-reduce averages them.
        _dp?.Average([.. sums.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value.Sum)]);
        foreach (var (name, (sum, count)) in sums)
        {
            if (count == 0) continue;
            var mean = sum.Item() / count;
            if (!double.IsFinite(mean))
                throw new TrainingDivergedException(
                    $"{phase.Name}: the {name} became {mean} at step {step}. The last good checkpoint is {_store.Latest() ?? "(none yet)"}. " +
                    $"Lower the phase's lr (or set grad_clip) in {_run.Config} and run `distilldiff resume {_run.Root}`, or start over.");
            values[name] = mean;
            sum.Zero_();
            sums[name] = (sum, 0);
        }
        var single = slots.Count == 1;
        foreach (var s in slots)
        {
            values[single ? "lr" : $"lr_{s.Name}"] = s.Optimizer.LearningRate;
            if (s.TakeGradNorm() is double g) values[single ? "grad_norm" : $"grad_norm_{s.Name}"] = g;
        }
        if (scaler != null) values["loss_scale"] = scaler.Scale;
        _metrics?.Write(phase.Name, step, phase.GlobalOffset + step, values);
        var losses = string.Join(" ", values.Where(v => !v.Key.StartsWith("lr", StringComparison.Ordinal) && !v.Key.StartsWith("grad_norm", StringComparison.Ordinal))
            .Where(v => v.Key != "loss_scale").Select(v => $"{v.Key} {v.Value:0.000000}"));
        if (!bar.Enabled)
            _log.Information("{Phase} step {Step}/{Total} {Losses} lr {Lr:0.00e+0} ({Rate:0.0} it/s)",
                phase.Name, step, phase.Steps, losses, slots[0].Optimizer.LearningRate, bar.Rate(step));
        return losses;
    }

    private long[] NextIndices(int batchSize)
    {
        // The data order yields global batches of the largest phase batch size; smaller phases take a prefix, and
        // each data-parallel rank its shard of that.
        var idx = _dataOrder.Next();
        var global = batchSize * (_dp?.WorldSize ?? 1);
        if (idx.Length > global) idx = idx[..global];
        return _dp?.Shard(idx) ?? idx;
    }

    private void SaveCheckpoint(Phase phase, long step, IReadOnlyList<Slot> slots,
        Dictionary<string, (Tensor Sum, int Count)>? sums = null, GradScaler? scaler = null)
    {
        foreach (var s in slots)
            if (!Torch.AllFinite(s.Module.Parameters().ToList()))
                throw new TrainingDivergedException(
                    $"{phase.Name}: the {s.Name} weights are no longer finite at step {step}; not overwriting the last good checkpoint {_store.Latest() ?? "(none yet)"}");
        if (!IsMain) return;
        var state = new TrainerState
        {
            Phase = phase.Name,
            Step = step,
            GlobalStep = phase.GlobalOffset + step,
            DataOrder = _dataOrder.State,
            MetricsLines = _metrics!.Lines,
            NoiseGenerator = Convert.ToBase64String(_noise.GetState()),
            DefaultGenerator = Convert.ToBase64String(Generator.GetDefaultState()),
            CompletedPhases = Completed.ToList(),
            LossSums = sums?.ToDictionary(kv => kv.Key, kv => kv.Value.Sum.Item(), StringComparer.Ordinal) ?? [],
            LossCounts = sums?.ToDictionary(kv => kv.Key, kv => kv.Value.Count, StringComparer.Ordinal) ?? [],
            LossScaler = scaler?.State,
        };
        _store.Save(state.GlobalStep, dir =>
        {
            foreach (var s in slots) s.Save(dir);
            state.Save(dir);
        });
    }

    /// <summary>A trained module with its optimizer and EMA, and the files they are checkpointed in.</summary>
    private sealed class Slot : IDisposable
    {
        private readonly List<Tensor> _parameters;
        private Tensor? _gradNorm;

        public Slot(TrainedModule m)
        {
            (Name, Module, Settings) = (m.Name, m.Module, m.Optimizer);
            var o = m.Optimizer;
            Optimizer = new AdamW(m.Module.TrainableParameters(), o.Lr, o.Beta1, o.Beta2, weightDecay: o.WeightDecay);
            Ema = o.EmaDecay > 0 ? new ExponentialMovingAverage(m.Module, o.EmaDecay) : null;
            _parameters = m.Module.TrainableParameters().Select(p => p.Parameter).ToList();
        }

        public string Name { get; }
        public Module Module { get; }
        public OptimizerSettings Settings { get; }
        public AdamW Optimizer { get; }
        public ExponentialMovingAverage? Ema { get; }
        public IReadOnlyList<Tensor> Parameters => _parameters;

        public void Step()
        {
            if (Settings.GradClip > 0)
            {
                _gradNorm?.Dispose();
                _gradNorm = DisposeScope.Detach(GradClip.ClipGradNorm(_parameters, Settings.GradClip));
            }
            Optimizer.Step();
            Ema?.Update();
        }

        /// <summary>The gradient norm before clipping at this module's latest step since the last call.</summary>
        public double? TakeGradNorm()
        {
            if (_gradNorm is null) return null;
            var g = _gradNorm.Item();
            _gradNorm.Dispose();
            _gradNorm = null;
            return g;
        }

        public void Save(string dir)
        {
            StateDictFile.Save(Path.Combine(dir, $"{Name}.safetensors"), Module);
            if (Ema != null) StateDictFile.Save(Path.Combine(dir, $"{Name}.ema.safetensors"), Ema.StateDict());
            var sd = Optimizer.StateDict();
            try { StateDictFile.Save(Path.Combine(dir, $"{Name}.optimizer.safetensors"), sd); }
            finally { StateDictFile.DisposeAll(sd); }
        }

        public void Load(string dir, bool single)
        {
            // Checkpoints written before the trainer layout hold one module as model/optimizer/ema.safetensors.
            var legacy = single && !File.Exists(Path.Combine(dir, $"{Name}.safetensors")) && File.Exists(Path.Combine(dir, "model.safetensors"));
            string PathOf(string kind) => Path.Combine(dir, legacy ? $"{(kind.Length == 0 ? "model" : kind)}.safetensors" : $"{Name}{(kind.Length == 0 ? "" : "." + kind)}.safetensors");
            StateDictFile.LoadInto(Module, PathOf(""));
            var sd = StateDictFile.Load(PathOf("optimizer"));
            try { Optimizer.LoadStateDict(sd); }
            finally { StateDictFile.DisposeAll(sd); }
            if (Ema != null)
            {
                var e = StateDictFile.Load(PathOf("ema"));
                try { Ema.LoadStateDict(e); }
                finally { StateDictFile.DisposeAll(e); }
            }
        }

        public void Dispose()
        {
            _gradNorm?.Dispose();
            Ema?.Dispose();
            Optimizer.Dispose();
        }
    }
}
