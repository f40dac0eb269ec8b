namespace DistillDiff.Training.Methods;

using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Schedules;
using DistillDiff.Engine;
using DistillDiff.Engine.Optim;
using DistillDiff.Models;
using DistillDiff.Training.Config;
using DistillDiff.Training.Distillation;
using DistillDiff.Training.Loop;
using DistillDiff.Training.Losses;
using DistillDiff.Training.Trainers;

/// <summary>
/// One round of progressive distillation (Salimans &amp; Ho 2022, Algorithm 2): a student initialised from the
/// frozen 2N-step teacher learns to match two of the teacher's DDIM steps with one of its own. Per example
/// t = (i + 1) / N, i ~ U{0..N-1}; the target is <see cref="ProgressiveTarget"/>; the loss is the weighted x-space
/// loss. A fresh AdamW per round with the learning rate decayed linearly to 0. The ProDiff variant (Huang et al.
/// 2022) is the same with x0 prediction, L1 and no weighting (<see cref="ProgressiveConfig.ResolvedLoss"/>).
/// </summary>
public sealed class ProgressiveDistillation : ITrainingMethod
{
    private readonly DenoiserBackbone _teacherNet, _student;
    private readonly Denoiser _teacher, _denoiser;
    private readonly NoiseSchedule _schedule;
    private readonly int _steps;
    private readonly LossWeighting _weighting;
    private readonly LossNorm _norm;

    /// <param name="steps">N, the student's sampling steps (the teacher's are 2N).</param>
    public ProgressiveDistillation(MethodContext ctx, ProgressiveConfig config, string teacherDir, int steps)
    {
        _teacherNet = ModelSetup.Load(teacherDir, ctx.Device, ctx.Job);
        _teacherNet.Eval().RequiresGrad_(false);
        _student = ModelSetup.Create(ctx.Job);
        _student.To(ctx.Device);
        _student.LoadStateDict(_teacherNet.StateDict());
        (_schedule, _steps) = (ctx.Schedule, steps);
        _teacher = new Denoiser(_teacherNet, ctx.Schedule, ctx.Prediction);
        _denoiser = new Denoiser(_student, ctx.Schedule, ctx.Prediction);
        (_weighting, _norm) = (config.ResolvedWeighting, config.ResolvedLoss);
        Trained = [new TrainedModule("student", _student, new OptimizerSettings(config.Lr,
            new LrSchedule(LrScheduleKind.LinearToZero, 0, config.UpdatesPerRound), WeightDecay: config.WeightDecay,
            GradClip: config.GradClip, EmaDecay: config.EmaDecay))];
        ctx.Log.Information("distill round: {Teacher} steps -> {Student} steps ({Variant}, loss {Loss} weighted {Weighting}, {Updates} updates, lr {Lr} linearly to 0)",
            2 * steps, steps, config.Variant, _norm, _weighting, config.UpdatesPerRound, config.Lr);
    }

    public IReadOnlyList<TrainedModule> Trained { get; }

    public string Published => "student";

    public bool IsActive(string name, long step) => true;

    public StepLosses Step(StepContext c)
    {
        var t = (c.RandInt(0, _steps, [c.X.Size(0)]).To(DType.Float32) + 1.0) / _steps;
        var eps = c.Randn(c.X.Shape);
        var z = _schedule.AddNoise(c.X, eps, t);
        var (alpha, sigma) = _schedule.AlphaSigma(t);
        var target = ProgressiveTarget.Compute((zz, tt) => _teacher.Predict(zz, tt, c.Labels).X0, _schedule.AlphaSigma, z, t, _steps);
        var output = _denoiser.Predict(z, t, c.Labels);
        return StepLosses.Single(XSpaceLoss.Compute(output.X0, target, alpha, sigma, _weighting, _norm));
    }

    /// <summary>Rounds start_steps/2, ..., end_steps; each round's teacher is the previous round's student.</summary>
    public static IReadOnlyList<PlannedPhase> Plan(MethodContext ctx, ProgressiveConfig config)
    {
        var phases = new List<PlannedPhase>();
        var teacherDir = ctx.TeacherDir;
        for (var n = config.StartSteps / 2; n >= config.EndSteps; n /= 2)
        {
            var (steps, teacher, model) = (n, teacherDir, $"student-{n}steps");
            phases.Add(new PlannedPhase($"distill-{n}", model, config.UpdatesPerRound, config.BatchSize,
                () => new ProgressiveDistillation(ctx, config, teacher, steps), "pd", [n], "progressive students (pd)",
                new LossPlot("loss_distill.svg", "progressive distillation loss per round", $"{n}-step student"), n));
            teacherDir = ctx.ModelDir(model);
        }
        return phases;
    }

    public static void Validate(JobConfig job, ProgressiveConfig d, Action<string, string> fail)
    {
        if (!IsPowerOfTwo(d.StartSteps) || !IsPowerOfTwo(d.EndSteps) || d.EndSteps >= d.StartSteps)
            fail("distill.start_steps", $"distill.start_steps ({d.StartSteps}) and distill.end_steps ({d.EndSteps}) must be powers of two with end < start");
        if (d.Variant == DistillVariant.ProDiff && job.Diffusion.ParsePrediction() != Prediction.Sample)
            fail("diffusion.prediction", $"distill.variant prodiff predicts x0: set diffusion.prediction to 'sample' (got '{job.Diffusion.Prediction}')");
    }

    /// <summary>The teacher is measured up to its own step count, start_steps.</summary>
    public static int[] TeacherSteps(ProgressiveConfig d, int[] evalSteps) => evalSteps.Where(s => s <= d.StartSteps).ToArray();

    private static bool IsPowerOfTwo(int n) => n > 0 && (n & (n - 1)) == 0;

    public void Dispose()
    {
        _student.Dispose();
        _teacherNet.Dispose();
    }
}
