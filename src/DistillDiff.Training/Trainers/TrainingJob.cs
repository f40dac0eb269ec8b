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
    private readonly MetricsLog _metrics;
    private readonly CheckpointStore _store;
    private readonly StepCurve _curve;
    private readonly Evaluator _evaluator;
    private readonly bool _conditional;
    private readonly TrainerState? _resume;
    private readonly string? _resumeDir;
    private readonly List<string> _completed;
    private StopSignal _stop = StopSignal.None();

    private TrainingJob(JobConfig job, RunDirectory run, bool resume, IDataset? data = null)
    {
        _job = job;
        _run = run;
        _log = RunLog.Create(run);
        if (job.Run.Threads > 0) Torch.NumThreads = job.Run.Threads;
        _device = Device.Parse(job.Run.Device);
        Torch.ManualSeed(job.Run.Seed);
        _data = data ?? DatasetRegistry.Default.Create(job.Data);
        _sampler = new BatchSampler(_data.Count, Math.Max(job.Teacher.BatchSize, job.Distill?.BatchSize ?? 1), job.Run.Seed);
        _noise = new Generator(job.Run.Seed + 1, _device);
        _schedule = ScheduleRegistry.Create(job.Diffusion.ToScheduleConfig());
        _prediction = job.Diffusion.ParsePrediction();
        _conditional = _data.NumClasses > 0 && job.Model is IClassConditionalConfig { NumClassEmbeds: > 0 };
        _store = new CheckpointStore(run.State, job.Run.KeepCheckpoints);
        _resumeDir = resume ? _store.LatestIntact(CheckpointVerifier.Problem, w => _log.Warning("{Warning}", w)) : null;
        _resume = _resumeDir is null ? null : TrainerState.Load(_resumeDir);
        _completed = _resume?.CompletedPhases.ToList() ?? [];
        _metrics = new MetricsLog(run, _resume?.MetricsLines ?? 0, job.Run.TensorBoard);
        if (_resume != null)
        {
            _sampler.Restore(_resume.Sampler);
            _noise.SetState(Convert.FromBase64String(_resume.NoiseGenerator));
            Generator.SetDefaultState(Convert.FromBase64String(_resume.DefaultGenerator));
        }
        if (!resume) File.Delete(run.Curves);
        _curve = new StepCurve(run.Curves);
        _evaluator = new Evaluator(_data, job.Eval, _device, _conditional);
    }

    public RunDirectory Run => _run;

    /// <summary>Starts a new run of a recipe in run.output_dir/run.name (refusing to overwrite an existing run unless asked).</summary>
    /// <remarks>
    /// Everything that can be checked (every recipe value, the teacher folder, the data against the model) is
    /// checked before the folder is made or an old run in it is replaced; the folder stays locked for the job's life.
    /// </remarks>
    public static TrainingJob Start(Recipe recipe, bool overwrite = false, string? runDir = null)
    {
        var job = JobConfig.From(recipe);
        CheckTeacherCheckpoint(job);
        var data = JobChecks.CheckData(job);
        var run = RunDirectory.CreateNew(runDir ?? Path.Combine(job.Run.OutputDir, job.Run.Name), overwrite);
        try
        {
            File.WriteAllText(run.Config, recipe.ToYamlWithProvenance());
            return new TrainingJob(job, run, resume: false, data);
        }
        catch
        {
            // Nothing was trained yet: a folder left behind would only make the corrected rerun need --overwrite.
            run.DeleteAndRelease();
            throw;
        }
    }

    /// <summary>Continues the run in <paramref name="runDir"/> from its latest checkpoint, with the config it was started with.</summary>
    public static TrainingJob Resume(string runDir)
    {
        var run = RunDirectory.OpenExisting(runDir);
        try
        {
            var job = JobConfig.From(RecipeLoader.Load(run.Config));
            CheckTeacherCheckpoint(job);
            return new TrainingJob(job, run, resume: true);
        }
        catch
        {
            run.Dispose();
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
        using var stop = StopSignal.Listen();
        _stop = stop;
        try
        {
            return ExecutePhases();
        }
        finally
        {
            _stop = StopSignal.None();
        }
    }

    private StepCurve ExecutePhases()
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
        var b = x.Size(0);
        var t = (Torch.RandInt(0, grid, [b], _noise, DType.Int64, _device).To(DType.Float32) + 1.0) / grid;
        var eps = Torch.Randn(x.Shape, _noise, DType.Float32, _device);
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
        if (_resume is { } partial && partial.Phase == spec.Name && _resumeDir != null)
        {
            lossSum.Fill_(partial.LossSum);
            sinceLog = partial.StepsSinceLog;
        }
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
                lastLoss = lossSum.Item() / sinceLog;
                lossSum.Zero_();
                sinceLog = 0;
                if (!double.IsFinite(lastLoss))
                    throw new TrainingDivergedException(
                        $"{spec.Name}: the loss became {lastLoss} at step {step}. The last good checkpoint is {_store.Latest() ?? "(none yet)"}. " +
                        $"Lower the phase's lr (or set grad_clip) in {_run.Config} and run `distilldiff resume {_run.Root}`, or start over.");
                var values = new Dictionary<string, double> { ["loss"] = lastLoss, ["lr"] = opt.LearningRate };
                if (gradNorm is double g) values["grad_norm"] = g;
                _metrics.Write(spec.Name, step, spec.GlobalOffset + step, values);
                if (!bar.Enabled)
                    _log.Information("{Phase} step {Step}/{Total} loss {Loss:0.000000} lr {Lr:0.00e+0} ({Rate:0.0} it/s)",
                        spec.Name, step, spec.Steps, lastLoss, opt.LearningRate, bar.Rate(step));
            }
            bar.Update(step, $"loss {lastLoss:0.0000}");
            var saved = step % _job.Run.CheckpointEvery == 0 || step == spec.Steps;
            if (saved)
                SaveCheckpoint(spec, step, model, opt, ema, lossSum, sinceLog);
            if (_stop.Requested)
            {
                bar.Dispose();
                var at = saved ? _store.Latest()! : SaveCheckpoint(spec, step, model, opt, ema, lossSum, sinceLog);
                throw new RunStoppedException(
                    $"stopped by {_stop.Name} at {spec.Name} step {step}/{spec.Steps}: checkpoint {at} written. " +
                    $"Continue with `distilldiff resume {_run.Root}`", _stop.ExitCode);
            }
        }
        bar.Dispose();
        Publish(model, ema, publishDir);
        _completed.Add(spec.Name);
        SaveCheckpoint(spec, step, model: null, opt: null, ema: null);
        _log.Information("{Phase}: done, saved {Dir}", spec.Name, publishDir);
    }

    private long[] NextIndices(int batchSize)
    {
        // The sampler yields batches of the largest phase batch size; smaller phases take a prefix.
        var idx = _sampler.Next();
        return idx.Length > batchSize ? idx[..batchSize] : idx;
    }

    // ---- checkpoints ----

    private string SaveCheckpoint(PhaseSpec spec, long step, DenoiserBackbone? model, AdamW? opt, ExponentialMovingAverage? ema,
        Tensor? lossSum = null, int sinceLog = 0)
    {
        if (model != null && !Torch.AllFinite(model.Parameters().ToList()))
            throw new TrainingDivergedException(
                $"{spec.Name}: weights are no longer finite at step {step}; not overwriting the last good checkpoint {_store.Latest() ?? "(none yet)"}");
        var state = new TrainerState
        {
            Phase = spec.Name,
            Step = step,
            GlobalStep = spec.GlobalOffset + step,
            Sampler = _sampler.State,
            MetricsLines = _metrics.Lines,
            NoiseGenerator = Convert.ToBase64String(_noise.GetState()),
            DefaultGenerator = Convert.ToBase64String(Generator.GetDefaultState()),
            CompletedPhases = _completed.ToList(),
            HasEma = ema != null,
            LossSum = lossSum?.Item() ?? 0,
            StepsSinceLog = sinceLog,
        };
        return _store.Save(state.GlobalStep, dir =>
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
        _curve.SavePlots(_run.Plots, _job.Run.Name);
        LossPlots.Save(_run);
    }

    public void Dispose()
    {
        _evaluator.Dispose();
        _metrics.Dispose();
        _noise.Dispose();
        (_log as IDisposable)?.Dispose();
        _run.Dispose();
    }
}
