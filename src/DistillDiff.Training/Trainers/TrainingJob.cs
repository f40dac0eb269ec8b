namespace DistillDiff.Training.Trainers;

using DistillDiff.Data;
using DistillDiff.Data.Datasets;
using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Schedules;
using DistillDiff.Engine;
using DistillDiff.Engine.Amp;
using DistillDiff.Engine.Nn;
using DistillDiff.Engine.Optim;
using DistillDiff.Models;
using DistillDiff.Recipes;
using DistillDiff.Training.Checkpoints;
using DistillDiff.Training.Config;
using DistillDiff.Training.Distributed;
using DistillDiff.Training.Evaluation;
using DistillDiff.Training.Loop;
using DistillDiff.Training.Methods;
using DistillDiff.Training.Runs;
using Serilog;

/// <summary>
/// A recipe run end to end: train (or load) the teacher, then the phases the distillation method plans, each run by
/// the shared <see cref="TrainingLoop"/>, published as a loadable model folder and measured on the step-count curve.
/// Every phase checkpoints its full state, so <see cref="Resume"/> continues a killed run exactly.
/// </summary>
public sealed class TrainingJob : IDisposable
{
    private readonly JobConfig _job;
    private readonly RunDirectory _run;
    private readonly ILogger _log;
    private readonly Device _device;
    private readonly IDataset _data;
    private readonly Generator _noise;
    private readonly NoiseSchedule _schedule;
    private readonly Prediction _prediction;
    private readonly MetricsLog? _metrics;   // rank 0 only
    private readonly StepCurve _curve;
    private readonly Evaluator _evaluator;
    private readonly bool _conditional;
    private readonly TrainerState? _resume;
    private readonly string? _resumeDir;
    private readonly TrainingLoop _loop;
    private readonly bool _trainsTeacher;
    private readonly MethodContext _methods;
    private readonly CheckpointStore _store;
    private readonly DataParallel? _dp;   // null: a single-process run
    private Phase? _stoppedIn;

    private TrainingJob(JobConfig job, RunDirectory run, bool resume, DataParallel? dp, IDataset? data = null)
    {
        _job = job;
        _run = run;
        _dp = dp;
        // Rank 0 alone writes the run's files; the other ranks log nothing.
        _log = IsMain ? RunLog.Create(run) : new LoggerConfiguration().CreateLogger();
        if (job.Run.Threads > 0) Torch.NumThreads = job.Run.Threads;
        _device = dp?.LocalDevice(Device.Parse(job.Run.Device)) ?? Device.Parse(job.Run.Device);
        Torch.ManualSeed(job.Run.Seed);
        _data = data ?? DatasetRegistry.Default.Create(job.Data);
        _schedule = ScheduleRegistry.Create(job.Diffusion.ToScheduleConfig());
        _prediction = job.Diffusion.ParsePrediction();
        _conditional = _data.NumClasses > 0 && job.Model is IClassConditionalConfig { NumClassEmbeds: > 0 };
        var store = _store = new CheckpointStore(run.State, job.Run.KeepCheckpoints);
        _resumeDir = resume ? store.LatestIntact(CheckpointVerifier.Problem, w => _log.Warning("{Warning}", w)) : null;
        _resume = _resumeDir is null ? null : TrainerState.Load(_resumeDir);
        var completed = _resume?.CompletedPhases.ToList() ?? [];
        _trainsTeacher = TrainsTeacher(job, _resume);
        var teacherDir = _trainsTeacher ? _run.Model("teacher") : Path.GetFullPath(job.Teacher.Checkpoint!);
        _methods = new MethodContext(job, _device, _schedule, _prediction, _data, _conditional, teacherDir, _run.Model, _log);
        var phases = Phases();
        // Data-parallel ranks all draw the same global batches (per-rank batch x world size); each keeps its shard.
        var dataOrder = new BatchSampler(_data.Count, phases.Select(p => p.BatchSize).DefaultIfEmpty(1).Max() * (dp?.WorldSize ?? 1), job.Run.Seed);
        _noise = new Generator(job.Run.Seed + 1, _device);
        _metrics = IsMain ? new MetricsLog(run, _resume?.MetricsLines ?? 0, job.Run.TensorBoard) : null;
        if (_resume != null)
        {
            dataOrder.Restore(_resume.DataOrder!);
            _noise.SetState(Convert.FromBase64String(_resume.NoiseGenerator));
            Generator.SetDefaultState(Convert.FromBase64String(_resume.DefaultGenerator));
        }
        if (!resume && IsMain) File.Delete(run.Curves);
        _curve = new StepCurve(run.Curves);
        _evaluator = new Evaluator(_data, job.Eval, _device, _conditional, job.Diffusion.ToSchedulerConfig());
        _loop = new TrainingLoop(_data, dataOrder, _noise, _device, _conditional, _metrics, store, run, job.Run.LogEvery,
            job.Run.CheckpointEvery, _log, _resume, _resumeDir, completed, dp) { NewPrecision = () => NewPrecision(job, _device) };
    }

    /// <summary>The run's precision and layout, or a recipe error naming run.precision when this device and libtorch cannot train it.</summary>
    private static MixedPrecision NewPrecision(JobConfig job, Device device)
    {
        try
        {
            return new MixedPrecision(job.Run.Precision, device, job.Run.ChannelsLast);
        }
        catch (ArgumentException e)
        {
            var src = job.Recipe.SourceOf("run.precision") ?? job.Recipe.SourcePath;
            throw new RecipeException($"{src}: key 'run.precision': {e.Message}", "run.precision", src);
        }
    }

    public RunDirectory Run => _run;

    private bool IsMain => _dp is null || _dp.Rank == 0;

    /// <summary>Joins the data-parallel job the launch environment describes (null when there is none).</summary>
    private static DataParallel? JoinJob(JobConfig job) =>
        LaunchEnvironment.Read() is { } env ? DataParallel.Join(env, Device.Parse(job.Run.Device)) : null;

    /// <summary>Asked once per training iteration; when it returns true the run checkpoints and <see cref="Execute"/> returns early.</summary>
    public Func<bool>? StopRequested
    {
        get => _loop.StopRequested;
        set => _loop.StopRequested = value;
    }

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
        NewPrecision(job, Device.Parse(job.Run.Device));
        var dp = JoinJob(job);
        var main = dp is null || dp.Rank == 0;
        RunDirectory? run = null;
        try
        {
            // Rank 0 alone makes (and locks) the folder; the other ranks open it once rank 0 has made it.
            var path = runDir ?? Path.Combine(job.Run.OutputDir, job.Run.Name);
            if (main)
            {
                run = RunDirectory.CreateNew(path, overwrite);
                File.WriteAllText(run.Config, recipe.ToYamlWithProvenance());
            }
            dp?.Barrier();
            run ??= new RunDirectory(path);
            return new TrainingJob(job, run, resume: false, dp, data);
        }
        catch
        {
            // Nothing was trained yet: a folder left behind would only make the corrected rerun need --overwrite.
            if (main) run?.DeleteAndRelease();
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
        var job = JobConfig.From(RecipeLoader.Load(Path.Combine(dir, "config.yaml")));
        var dp = JoinJob(job);
        RunDirectory? run = null;
        try
        {
            // Rank 0 holds the folder's lock; the other ranks only read and wait for it.
            run = dp is null || dp.Rank == 0 ? RunDirectory.OpenExisting(dir) : new RunDirectory(dir);
            if (!TrainsTeacher(job, PeekLatest(new CheckpointStore(run.State, job.Run.KeepCheckpoints)))) CheckTeacherCheckpoint(job);
            return new TrainingJob(job, run, resume: true, dp);
        }
        catch
        {
            run?.Dispose();
            dp?.Dispose();
            throw;
        }
    }

    // The state "latest" names, or null when it cannot be read: the job verifies and falls back properly itself.
    private static TrainerState? PeekLatest(CheckpointStore store)
    {
        try
        {
            return store.Latest() is { } latest ? TrainerState.Load(latest) : null;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether this run trains its own teacher: it has no teacher.checkpoint, or train_if_missing and the folder is
    /// missing. A run that started training its teacher keeps doing so even if the folder has appeared since.
    /// </summary>
    private static bool TrainsTeacher(JobConfig job, TrainerState? resume) =>
        job.Teacher.Checkpoint is not { } given
        || (job.Teacher.TrainIfMissing && (!Directory.Exists(given)
            || resume is { } r && (r.Phase == Denoising.PhaseName || r.CompletedPhases.Contains(Denoising.PhaseName))));

    private static void CheckTeacherCheckpoint(JobConfig job)
    {
        if (job.Teacher.Checkpoint is { } given && !Directory.Exists(given) && !job.Teacher.TrainIfMissing)
            throw new InvalidOperationException(
                $"teacher.checkpoint: {Path.GetFullPath(given)} does not exist. Train a teacher first (e.g. `distilldiff train " +
                "recipes/fmnist-teacher.yaml`), point teacher.checkpoint at a model folder (config.json + " +
                "diffusion_pytorch_model.safetensors), or set teacher.train_if_missing: true; relative paths start at the current directory");
    }

    /// <summary>Every phase of the run in order: the teacher's (when it trains one), then the method's.</summary>
    private List<PlannedPhase> Phases()
    {
        var phases = new List<PlannedPhase>();
        if (_trainsTeacher) phases.Add(Denoising.Plan(_methods, _job.Teacher));
        if (_job.MethodRegistration is { } m) phases.AddRange(m.Plan(_methods, _job.Distill!));
        return phases;
    }

    /// <summary>
    /// Runs every phase not finished yet; returns the step-count curve (early when <see cref="StopRequested"/> asked).
    /// SIGINT/SIGTERM while it runs stop it the same way (the step in flight finishes, a checkpoint is written) and
    /// end it with <see cref="RunStoppedException"/>, whose message says how to resume.
    /// </summary>
    public StepCurve Execute()
    {
        using var signal = StopSignal.Listen();
        var asked = _loop.StopRequested;
        _loop.StopRequested = () => signal.Requested || asked?.Invoke() == true;
        try
        {
            var curve = ExecutePhases();
            if (signal.Requested && _stoppedIn is { } phase)
            {
                var at = _store.Latest();
                var step = at is null ? 0 : TrainerState.Load(at).Step;
                throw new RunStoppedException(
                    $"stopped by {signal.Name} at {phase.Name} step {step}/{phase.Steps}: checkpoint {at} written. " +
                    $"Continue with `distilldiff resume {_run.Root}`", signal.ExitCode);
            }
            return curve;
        }
        finally
        {
            _loop.StopRequested = asked;
        }
    }

    private StepCurve ExecutePhases()
    {
        _log.Information("run {Run} | libtorch {Version} | device {Device} | {Threads} threads | data {Data} ({Count} samples{Labels})",
            _run.Root, Torch.LibTorchVersion, _device, Torch.NumThreads, _data.Name, _data.Count, _conditional ? ", class-conditional" : "");
        if (_resume != null)
            _log.Information("resuming from {Checkpoint}: phase {Phase} step {Step}", _resumeDir, _resume.Phase, _resume.Step);

        var phases = Phases();
        long global = 0;
        var teacherEvaluated = false;
        foreach (var phase in phases)
        {
            if (phase.Name != Denoising.PhaseName && !teacherEvaluated)
            {
                EvaluateTeacher();
                teacherEvaluated = true;
            }
            var spec = new Phase(phase.Name, global, phase.Steps, phase.BatchSize, _run.Model(phase.Model));
            global += phase.Steps;
            if (_loop.Completed.Contains(phase.Name)) continue;
            using (var method = phase.Build())
            {
                if (!_loop.Run(spec, method, (module, ema) => Publish(module, ema, spec.ModelDir, phase.SamplingSteps, phase.Sampler)))
                {
                    _stoppedIn = spec;
                    return _curve;
                }
            }
            _log.Information("{Phase}: done, saved {Dir}", phase.Name, spec.ModelDir);
            if (phase.Name != Denoising.PhaseName) EvaluateModel(phase.Model, spec.ModelDir, phase.Sampler, phase.EvalSteps, phase.Series);
            WritePlots(phases);
        }
        if (!teacherEvaluated) EvaluateTeacher();
        WritePlots(phases);
        _log.Information("step-count curve ({Metric}, lower is better):\n{Table}", _evaluator.PrimaryMetric, _curve.Table(_evaluator.PrimaryMetric));
        _log.Information("done: models in {Models}, plots in {Plots}", _run.Models, _run.Plots);
        return _curve;
    }

    /// <summary>Writes the model folder (EMA weights when there is an EMA) next to a temporary name, then renames it.</summary>
    private void Publish(Module model, ExponentialMovingAverage? ema, string dir, int? samplingSteps, string sampler)
    {
        if (!IsMain) return;
        using var published = ModelSetup.Create(_job);
        published.LoadStateDict(model.StateDict());
        ema?.CopyTo(published);
        ModelSetup.SaveFolder(dir, published, _job, samplingSteps, sampler);
    }

    // ---- evaluation ----

    private void EvaluateTeacher()
    {
        var steps = _job.MethodRegistration is { } m ? m.TeacherSteps(_job.Distill!, _job.Eval.Steps) : _job.Eval.Steps;
        EvaluateModel("teacher", _methods.TeacherDir, "pd", steps, "teacher (pd)");
    }

    private void EvaluateModel(string name, string dir, string sampler, int[] allSteps, string series)
    {
        // Rank 0 alone evaluates; the others go on to the next phase and wait for it at its first collective.
        if (!IsMain) return;
        // A resumed run keeps the points it measured before it stopped (evaluation is deterministic).
        var steps = allSteps.Where(s => !_curve.Points.Any(p => p.Model == name && p.Sampler == sampler && p.Steps == s)).ToArray();
        if (steps.Length == 0) return;
        using var net = ModelSetup.Load(dir, _device, _job);
        net.Eval();
        var denoiser = new Denoiser(net, _schedule, _prediction);
        foreach (var s in steps)
        {
            var (metrics, samples) = _evaluator.Evaluate(denoiser, sampler, s);
            using (samples)
            {
                _evaluator.SavePicture(samples, Path.Combine(_run.Samples, $"{name}-{s}steps.png"));
            }
            _curve.Add(new StepCurvePoint(name, sampler, s, metrics) { Series = series });
            _log.Information("eval {Model} at {Steps} steps ({Sampler}): {Metrics}", name, s, sampler,
                string.Join(", ", metrics.Select(m => $"{m.Key} {m.Value:0.0000}")));
        }
    }

    private void WritePlots(IReadOnlyList<PlannedPhase> phases)
    {
        if (!IsMain) return;
        _curve.SavePlots(_run.Plots, _job.Run.Name);
        LossPlots.Save(_run, phases.Select(p => (p.Name, p.Plot)).ToList());
    }

    public void Dispose()
    {
        _evaluator.Dispose();
        _metrics?.Dispose();
        _noise.Dispose();
        (_log as IDisposable)?.Dispose();
        _run.Dispose();
        _dp?.Dispose();
    }
}
