namespace DistillDiff.Training.Trainers;

using DistillDiff.Data;
using DistillDiff.Data.Datasets;
using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Schedules;
using DistillDiff.Engine;
using DistillDiff.Engine.Optim;
using DistillDiff.Engine.Serialization;
using DistillDiff.Models;
using DistillDiff.Recipes;
using DistillDiff.Training.Checkpoints;
using DistillDiff.Training.Config;
using DistillDiff.Training.Distributed;
using DistillDiff.Training.Distillation;
using DistillDiff.Training.Evaluation;
using DistillDiff.Training.Losses;
using DistillDiff.Training.Runs;
using Serilog;

/// <summary>
/// A recipe run end to end: train (or load) the teacher, then progressive-distillation rounds N → N/2 down to
/// end_steps, publishing each model as a loadable folder and measuring the step-count curve after each phase.
/// Every phase checkpoints its full state, so <see cref="Resume"/> continues a killed run exactly.
/// </summary>
public sealed class TrainingJob : IDisposable
{
    private readonly JobConfig _job;
    private readonly RunDirectory _run;
    private readonly ILogger _log;
    private readonly Device _device;
    private readonly IDataset _data;
    private readonly BatchSampler _sampler;
    private readonly Generator _noise;
    private readonly NoiseSchedule _schedule;
    private readonly Prediction _prediction;
    private readonly MetricsLog? _metrics;
    private readonly CheckpointStore _store;
    private readonly StepCurve _curve;
    private readonly Evaluator _evaluator;
    private readonly bool _conditional;
    private readonly TrainerState? _resume;
    private readonly string? _resumeDir;
    private readonly List<string> _completed;
    private readonly DataParallel? _dp;   // null: a single-process run

    private TrainingJob(JobConfig job, RunDirectory run, bool resume, DataParallel? dp)
    {
        _job = job;
        _run = run;
        _dp = dp;
        // Rank 0 alone writes the run's files; the other ranks log nothing.
        _log = IsMain ? RunLog.Create(run) : new LoggerConfiguration().CreateLogger();
        if (job.Run.Threads > 0) Torch.NumThreads = job.Run.Threads;
        _device = dp?.LocalDevice(Device.Parse(job.Run.Device)) ?? Device.Parse(job.Run.Device);
        Torch.ManualSeed(job.Run.Seed);
        _data = DatasetRegistry.Default.Create(job.Data);
        // The sampler hands out global batches (every rank the same ones); each rank takes its shard.
        _sampler = new BatchSampler(_data.Count, Math.Max(job.Teacher.BatchSize, job.Distill?.BatchSize ?? 1) * World, job.Run.Seed);
        _noise = new Generator(job.Run.Seed + 1, _device);
        _schedule = ScheduleRegistry.Create(job.Diffusion.ToScheduleConfig());
        _prediction = job.Diffusion.ParsePrediction();
        _conditional = _data.NumClasses > 0 && job.Model is IClassConditionalConfig { NumClassEmbeds: > 0 };
        _store = new CheckpointStore(run.State, job.Run.KeepCheckpoints);
        _resumeDir = resume ? _store.Latest() : null;
        _resume = _resumeDir is null ? null : TrainerState.Load(_resumeDir);
        _completed = _resume?.CompletedPhases.ToList() ?? [];
        _metrics = IsMain ? new MetricsLog(run, _resume?.MetricsLines ?? 0, job.Run.TensorBoard) : null;
        if (_resume != null)
        {
            _sampler.Restore(_resume.Sampler);
            _noise.SetState(Convert.FromBase64String(_resume.NoiseGenerator));
            Generator.SetDefaultState(Convert.FromBase64String(_resume.DefaultGenerator));
        }
        if (!resume && IsMain) File.Delete(run.Curves);
        _curve = new StepCurve(run.Curves);
        _evaluator = new Evaluator(_data, job.Eval, _device, _conditional);
    }

    public RunDirectory Run => _run;

    private bool IsMain => _dp is null || _dp.Rank == 0;

    private int World => _dp?.WorldSize ?? 1;

    /// <summary>Joins the data-parallel job the launch environment describes (null when there is none).</summary>
    private static DataParallel? JoinJob(JobConfig job) =>
        LaunchEnvironment.Read() is { } env ? DataParallel.Join(env, Device.Parse(job.Run.Device)) : null;

    /// <summary>Starts a new run of a recipe in run.output_dir/run.name (refusing to overwrite an existing run unless asked).</summary>
    public static TrainingJob Start(Recipe recipe, bool overwrite = false, string? runDir = null)
    {
        var job = JobConfig.From(recipe);
        CheckTeacherCheckpoint(job);
        var dir = Path.GetFullPath(runDir ?? Path.Combine(job.Run.OutputDir, job.Run.Name));
        var dp = JoinJob(job);
        var main = dp is null || dp.Rank == 0;
        try
        {
            if (main && Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            {
                if (!overwrite)
                    throw new InvalidOperationException(
                        $"run folder {dir} already exists: continue it with `distilldiff resume {dir}`, pick another name " +
                        "(--set run.name=...), or pass --overwrite to start over");
                Directory.Delete(dir, true);
            }
            if (main) File.WriteAllText(new RunDirectory(dir).Config, recipe.ToYaml());
            dp?.Barrier();   // the other ranks open the folder once rank 0 has made it
            var run = new RunDirectory(dir);
            try
            {
                return new TrainingJob(job, run, resume: false, dp);
            }
            catch
            {
                // Nothing was trained yet: a folder left behind would only make the corrected rerun need --overwrite.
                if (main) Directory.Delete(dir, true);
                throw;
            }
        }
        catch
        {
            dp?.Dispose();
            throw;
        }
    }

    /// <summary>Continues the run in <paramref name="runDir"/> from its latest checkpoint, with the config it was started with.</summary>
    public static TrainingJob Resume(string runDir)
    {
        var dir = Path.GetFullPath(runDir);
        if (!RunDirectory.IsRun(dir))
            throw new InvalidOperationException($"{dir} is not a run folder (no config.yaml): start runs with `distilldiff train <recipe>`");
        var run = new RunDirectory(dir);
        var job = JobConfig.From(RecipeLoader.Load(run.Config));
        CheckTeacherCheckpoint(job);
        var dp = JoinJob(job);
        try
        {
            return new TrainingJob(job, run, resume: true, dp);
        }
        catch
        {
            dp?.Dispose();
            throw;
        }
    }

    private static void CheckTeacherCheckpoint(JobConfig job)
    {
        if (job.Teacher.Checkpoint is { } given && !Directory.Exists(given))
            throw new InvalidOperationException(
                $"teacher.checkpoint: {Path.GetFullPath(given)} does not exist. Train a teacher first (e.g. `distilldiff train " +
                "recipes/fmnist-teacher.yaml`) or point teacher.checkpoint at a model folder (config.json + " +
                "diffusion_pytorch_model.safetensors); relative paths start at the current directory");
    }

    /// <summary>Runs every phase not finished yet; returns the step-count curve.</summary>
    public StepCurve Execute()
    {
        _log.Information("run {Run} | libtorch {Version} | device {Device} | {Threads} threads | data {Data} ({Count} samples{Labels})",
            _run.Root, Torch.LibTorchVersion, _device, Torch.NumThreads, _data.Name, _data.Count, _conditional ? ", class-conditional" : "");
        if (_resume != null)
            _log.Information("resuming from {Checkpoint}: phase {Phase} step {Step}", _resumeDir, _resume.Phase, _resume.Step);

        var teacherDir = _job.Teacher.Checkpoint is { } given ? Path.GetFullPath(given) : _run.Model("teacher");
        if (_job.Teacher.Checkpoint is null && !_completed.Contains("teacher")) TrainTeacher();
        EvaluateTeacher(teacherDir);

        if (_job.Distill is { } d)
        {
            var global = _job.Teacher.Checkpoint is null ? (long)_job.Teacher.Steps : 0;
            for (var n = d.StartSteps / 2; n >= d.EndSteps; n /= 2, global += d.UpdatesPerRound)
            {
                var studentDir = _run.Model($"student-{n}steps");
                if (!_completed.Contains($"distill-{n}")) DistillRound(n, teacherDir, studentDir, global);
                teacherDir = studentDir;
            }
        }
        WritePlots();
        _log.Information("step-count curve ({Metric}, lower is better):\n{Table}", _evaluator.PrimaryMetric, _curve.Table(_evaluator.PrimaryMetric));
        _log.Information("done: models in {Models}, plots in {Plots}", _run.Models, _run.Plots);
        return _curve;
    }

    // ---- phases ----

    private void TrainTeacher()
    {
        var t = _job.Teacher;
        using var backbone = ModelSetup.Create(_job);
        backbone.To(_device);
        var denoiser = new Denoiser(backbone, _schedule, _prediction);
        var weighting = _job.Defaults.TeacherWeighting;
        _log.Information("teacher: {Model} with {Params:N0} parameters, prediction {Prediction}, loss {Loss} weighted {Weighting}, {Steps} steps",
            _job.ModelType, backbone.NumParameters(), _job.Diffusion.Prediction, t.Loss, weighting, t.Steps);
        var spec = new PhaseSpec("teacher", 0, t.Steps, t.BatchSize, t.Lr, new LrSchedule(LrScheduleKind.Constant, t.WarmupSteps),
            t.WeightDecay, t.GradClip, t.EmaDecay);
        RunPhase(spec, backbone, batch =>
        {
            var (x, tt, alpha, sigma, z) = Noised(batch, _job.Diffusion.NumTrainTimesteps);
            var output = denoiser.Predict(z, tt, Labels(batch));
            return XSpaceLoss.Compute(output.X0, x, alpha, sigma, weighting, t.Loss);
        }, _run.Model("teacher"));
    }

    private void DistillRound(int n, string teacherDir, string studentDir, long globalOffset)
    {
        var d = _job.Distill!;
        using var teacherNet = ModelSetup.Load(teacherDir, _device, _job);
        teacherNet.Eval().RequiresGrad_(false);
        var teacher = new Denoiser(teacherNet, _schedule, _prediction);
        using var student = ModelSetup.Create(_job);
        student.To(_device);
        student.LoadStateDict(teacherNet.StateDict());
        var denoiser = new Denoiser(student, _schedule, _prediction);
        var (weighting, norm) = (_job.Defaults.DistillWeighting, _job.Defaults.DistillLoss);
        _log.Information("distill round: {Teacher} steps -> {Student} steps ({Variant}, loss {Loss} weighted {Weighting}, {Updates} updates, lr {Lr} linearly to 0)",
            2 * n, n, d.Variant, norm, weighting, d.UpdatesPerRound, d.Lr);
        var spec = new PhaseSpec($"distill-{n}", globalOffset, d.UpdatesPerRound, d.BatchSize, d.Lr,
            new LrSchedule(LrScheduleKind.LinearToZero, 0, d.UpdatesPerRound), d.WeightDecay, d.GradClip, d.EmaDecay);
        RunPhase(spec, student, batch =>
        {
            // Student times t = (i + 1) / N, i ~ U{0..N-1} (Salimans & Ho 2022, Algorithm 2).
            var (x, t, alpha, sigma, z) = Noised(batch, n);
            var target = ProgressiveTarget.Compute(
                (zz, tt) => teacher.Predict(zz, tt, Labels(batch)).X0,
                tt => _schedule.AlphaSigma(tt), z, t, n);
            var output = denoiser.Predict(z, t, Labels(batch));
            return XSpaceLoss.Compute(output.X0, target, alpha, sigma, weighting, norm);
        }, studentDir);
        EvaluateModel(Path.GetFileName(studentDir), studentDir, [n]);
    }

    /// <summary>Class labels go to class-conditional models only (a labelled data set may train an unconditional one).</summary>
    private Tensor? Labels(Batch batch) => _conditional ? batch.Labels : null;

    /// <summary>
    /// x from the batch, times t = (i + 1) / grid with i ~ U{0..grid-1}, eps ~ N(0, I), z = alpha_t x + sigma_t eps.
    /// </summary>
    private (Tensor X, Tensor T, Tensor Alpha, Tensor Sigma, Tensor Z) Noised(Batch batch, int grid)
    {
        var x = batch.X;
        // Data-parallel ranks draw the noise of the whole global batch and keep their rows, so N ranks see the
        // noise one process with the global batch would.
        var shape = x.Shape;
        var b = shape[0] * World;
        shape[0] = b;
        var t = (Torch.RandInt(0, grid, [b], _noise, DType.Int64, _device).To(DType.Float32) + 1.0) / grid;
        var eps = Torch.Randn(shape, _noise, DType.Float32, _device);
        if (_dp is not null) (t, eps) = (_dp.LocalRows(t), _dp.LocalRows(eps));
        var (alpha, sigma) = _schedule.AlphaSigma(t);
        var z = ProgressiveTarget.Reshape(alpha, x) * x + ProgressiveTarget.Reshape(sigma, x) * eps;
        return (x, t, alpha, sigma, z);
    }

    /// <summary>
    /// The optimisation loop shared by every phase: AdamW, LR schedule, clipping, EMA, logging, checkpoints, resume.
    /// At the end the trained weights (EMA ones if any) are published as a model folder and the phase is marked done.
    /// </summary>
    private void RunPhase(PhaseSpec spec, DenoiserBackbone model, Func<Batch, Tensor> lossOf, string publishDir)
    {
        model.Train();
        _dp?.BroadcastFromMain(model);   // before the EMA copies the weights
        using var opt = new AdamW(model.TrainableParameters(), spec.Lr, weightDecay: spec.WeightDecay);
        using var ema = spec.EmaDecay > 0 ? new ExponentialMovingAverage(model, spec.EmaDecay) : null;
        long step = 0;
        if (_resume is { } r && r.Phase == spec.Name && _resumeDir != null)
        {
            step = r.Step;
            LoadCheckpoint(_resumeDir, model, opt, ema);
            Generator.SetDefaultState(Convert.FromBase64String(r.DefaultGenerator));
        }
        var parameters = model.TrainableParameters().Select(p => p.Parameter).ToList();
        using var lossSum = DisposeScope.Detach(Torch.Zeros([], DType.Float32, _device));
        using var bar = new ProgressBar(spec.Name, spec.Steps, step);
        var logEvery = _job.Run.LogEvery;
        var sinceLog = 0;
        double lastLoss = double.NaN;
        while (step < spec.Steps)
        {
            double? gradNorm = null;
            using (var scope = Torch.NewDisposeScope())
            {
                var batch = _data.GetBatch(NextIndices(spec.BatchSize), _device);
                spec.Schedule.Apply(opt);
                var loss = lossOf(batch);
                opt.ZeroGrad();
                loss.Backward();
                _dp?.AverageGradients(parameters);
                if (spec.GradClip > 0)
                {
                    var norm = GradClip.ClipGradNorm(parameters, spec.GradClip);
                    if ((step + 1) % logEvery == 0) gradNorm = norm.Item();
                }
                opt.Step();
                ema?.Update();
                lossSum.Add_(loss.Detach());
            }
            step++;
            sinceLog++;
            if (step % logEvery == 0 || step == spec.Steps)
            {
                _dp?.Average(lossSum);   // the loss of the global batch, the same on every rank
                lastLoss = lossSum.Item() / sinceLog;
                lossSum.Zero_();
                sinceLog = 0;
                if (!double.IsFinite(lastLoss))
                    throw new TrainingDivergedException(
                        $"{spec.Name}: the loss became {lastLoss} at step {step}. The last good checkpoint is {_store.Latest() ?? "(none yet)"}. " +
                        $"Lower the phase's lr (or set grad_clip) in {_run.Config} and run `distilldiff resume {_run.Root}`, or start over.");
                var values = new Dictionary<string, double> { ["loss"] = lastLoss, ["lr"] = opt.LearningRate };
                if (gradNorm is double g) values["grad_norm"] = g;
                _metrics?.Write(spec.Name, step, spec.GlobalOffset + step, values);
                if (!bar.Enabled)
                    _log.Information("{Phase} step {Step}/{Total} loss {Loss:0.000000} lr {Lr:0.00e+0} ({Rate:0.0} it/s)",
                        spec.Name, step, spec.Steps, lastLoss, opt.LearningRate, bar.Rate(step));
            }
            bar.Update(step, $"loss {lastLoss:0.0000}");
            if (step % _job.Run.CheckpointEvery == 0 || step == spec.Steps)
                SaveCheckpoint(spec, step, model, opt, ema);
        }
        bar.Dispose();
        Publish(model, ema, publishDir);
        _completed.Add(spec.Name);
        SaveCheckpoint(spec, step, model: null, opt: null, ema: null);
        _dp?.Barrier();   // the next phase on every rank reads the folder rank 0 just published
        _log.Information("{Phase}: done, saved {Dir}", spec.Name, publishDir);
    }

    private long[] NextIndices(int batchSize)
    {
        // The sampler yields global batches of the largest phase batch size; smaller phases take a prefix, and
        // each data-parallel rank its shard of that.
        var idx = _sampler.Next();
        var global = batchSize * World;
        if (idx.Length > global) idx = idx[..global];
        return _dp?.Shard(idx) ?? idx;
    }

    // ---- checkpoints ----

    private void SaveCheckpoint(PhaseSpec spec, long step, DenoiserBackbone? model, AdamW? opt, ExponentialMovingAverage? ema)
    {
        if (model != null && !Torch.AllFinite(model.Parameters().ToList()))
            throw new TrainingDivergedException(
                $"{spec.Name}: weights are no longer finite at step {step}; not overwriting the last good checkpoint {_store.Latest() ?? "(none yet)"}");
        if (!IsMain) return;
        var state = new TrainerState
        {
            Phase = spec.Name,
            Step = step,
            GlobalStep = spec.GlobalOffset + step,
            Sampler = _sampler.State,
            MetricsLines = _metrics!.Lines,
            NoiseGenerator = Convert.ToBase64String(_noise.GetState()),
            DefaultGenerator = Convert.ToBase64String(Generator.GetDefaultState()),
            CompletedPhases = _completed.ToList(),
            HasEma = ema != null,
        };
        _store.Save(state.GlobalStep, dir =>
        {
            if (model != null) StateDictFile.Save(Path.Combine(dir, "model.safetensors"), model);
            if (ema != null) StateDictFile.Save(Path.Combine(dir, "ema.safetensors"), ema.StateDict());
            if (opt != null)
            {
                var sd = opt.StateDict();
                try { StateDictFile.Save(Path.Combine(dir, "optimizer.safetensors"), sd); }
                finally { StateDictFile.DisposeAll(sd); }
            }
            state.Save(dir);
        });
    }

    private static void LoadCheckpoint(string dir, DenoiserBackbone model, AdamW opt, ExponentialMovingAverage? ema)
    {
        StateDictFile.LoadInto(model, Path.Combine(dir, "model.safetensors"));
        var sd = StateDictFile.Load(Path.Combine(dir, "optimizer.safetensors"));
        try { opt.LoadStateDict(sd); }
        finally { StateDictFile.DisposeAll(sd); }
        if (ema != null)
        {
            var e = StateDictFile.Load(Path.Combine(dir, "ema.safetensors"));
            try { ema.LoadStateDict(e); }
            finally { StateDictFile.DisposeAll(e); }
        }
    }

    /// <summary>Writes the model folder (EMA weights when there is an EMA) next to a temporary name, then renames it.</summary>
    private void Publish(DenoiserBackbone model, ExponentialMovingAverage? ema, string dir)
    {
        if (!IsMain) return;
        using var published = ModelSetup.Create(_job);
        published.LoadStateDict(model.StateDict());
        ema?.CopyTo(published);
        ModelSetup.SaveFolder(dir, published, _job);
    }

    // ---- evaluation ----

    private void EvaluateTeacher(string teacherDir)
    {
        var steps = _job.Eval.Steps.Where(s => _job.Distill is null || s <= _job.Distill.StartSteps).ToArray();
        EvaluateModel("teacher", teacherDir, steps);
    }

    private void EvaluateModel(string name, string dir, int[] allSteps)
    {
        // Rank 0 alone evaluates; the others go on to the next phase and wait for it at its first collective.
        if (!IsMain) return;
        // A resumed run keeps the points it measured before it stopped (evaluation is deterministic).
        var steps = allSteps.Where(s => !_curve.Points.Any(p => p.Model == name && p.Steps == s)).ToArray();
        if (steps.Length == 0) return;
        using var net = ModelSetup.Load(dir, _device, _job);
        net.Eval();
        var denoiser = new Denoiser(net, _schedule, _prediction);
        foreach (var s in steps)
        {
            var (metrics, samples) = _evaluator.Evaluate(denoiser, s);
            using (samples)
            {
                _evaluator.SavePicture(samples, Path.Combine(_run.Samples, $"{name}-{s}steps.png"));
            }
            _curve.Add(new StepCurvePoint(name, "ddim", s, metrics));
            _log.Information("eval {Model} at {Steps} steps: {Metrics}", name, s,
                string.Join(", ", metrics.Select(m => $"{m.Key} {m.Value:0.0000}")));
        }
        WritePlots();
    }

    private void WritePlots()
    {
        if (!IsMain) return;
        _curve.SavePlots(_run.Plots, _job.Run.Name);
        LossPlots.Save(_run);
    }

    public void Dispose()
    {
        _evaluator.Dispose();
        _metrics?.Dispose();
        _noise.Dispose();
        (_log as IDisposable)?.Dispose();
        _dp?.Dispose();
    }
}
