namespace DistillDiff.Training.Methods;

using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Samplers;
using DistillDiff.Diffusion.Schedules;
using DistillDiff.Engine;
using DistillDiff.Engine.Optim;
using DistillDiff.Models;
using DistillDiff.Training.Config;
using DistillDiff.Training.Discriminators;
using DistillDiff.Training.Loop;
using DistillDiff.Training.Losses;
using DistillDiff.Training.Trainers;

/// <summary>
/// Adversarial diffusion distillation (ADD, Sauer et al. 2023). The student starts as the teacher (its published EMA
/// weights); the teacher is frozen. Per example a student timestep s is drawn from the student's few (default the
/// trailing 4), real data is noised to it, and the student predicts x_hat. Iterations alternate: discriminator_steps
/// discriminator updates, then one student update.
/// <code>
///   student:        L_G = w_adv * sum_k mean(-D_k(x_hat)) + lambda * mean_b c(t) ||x_hat - sg(x_teacher(x_hat renoised to t))||^2
///   discriminator:  L_D = sum_k mean(relu(1 - D_k(x))) + mean(relu(1 + D_k(sg(x_hat)))) + gamma * R1(x)
/// </code>
/// One student checkpoint samples in 1, 2 or 4 steps with the few-step sampler (predict x0, renoise to the next
/// student timestep).
/// </summary>
public sealed class AdversarialDistillation : ITrainingMethod
{
    public const string PhaseName = "adversarial";

    private readonly AdversarialConfig _config;
    private readonly DenoiserBackbone _teacherNet, _student;
    private readonly Denoiser _teacher, _denoiser;
    private readonly Discriminator _discriminator;
    private readonly NoiseSchedule _schedule;
    private readonly Tensor _times;
    private readonly double _maxTime;

    public AdversarialDistillation(MethodContext ctx, AdversarialConfig config)
    {
        _config = config;
        _schedule = ctx.Schedule;
        _teacherNet = ModelSetup.Load(ctx.TeacherDir, ctx.Device, ctx.Job);
        _teacherNet.Eval().RequiresGrad_(false);
        _student = ModelSetup.Create(ctx.Job);
        _student.To(ctx.Device);
        _student.LoadStateDict(_teacherNet.StateDict());
        _teacher = new Denoiser(_teacherNet, ctx.Schedule, ctx.Prediction);
        _denoiser = new Denoiser(_student, ctx.Schedule, ctx.Prediction);
        var timesteps = StudentTimesteps(ctx.Job, config);
        _times = DisposeScope.Detach(Torch.FromArray(timesteps.Select(n => (float)_schedule.TimeOf(n)).ToArray()).To(DType.Float32, ctx.Device));
        _maxTime = timesteps.Max() == _schedule.NumTrainTimesteps - 1 ? 1.0 : double.PositiveInfinity;

        var features = FeatureNetworkRegistry.Create(config.FeatureNetwork, _teacherNet, ctx.Schedule, config.FeatureT, ctx.Data.SampleShape);
        features.To(ctx.Device);
        var classes = ctx.Conditional ? ctx.Data.NumClasses : 0;
        using (var scope = Torch.NewDisposeScope())
        {
            var probe = Torch.Zeros([1, .. ctx.Data.SampleShape], DType.Float32, ctx.Device);
            var label = classes > 0 ? Torch.Zeros([1], DType.Int64, ctx.Device) : null;
            _discriminator = new Discriminator(features, probe, label, config.HeadHidden, classes);
        }
        _discriminator.To(ctx.Device);
        Trained =
        [
            new TrainedModule("student", _student, new OptimizerSettings(config.Lr, new LrSchedule(LrScheduleKind.Constant, config.WarmupSteps),
                WeightDecay: config.WeightDecay, GradClip: config.GradClip, EmaDecay: config.EmaDecay)),
            new TrainedModule("discriminator", _discriminator, new OptimizerSettings(config.DiscriminatorLr, new LrSchedule(),
                config.DiscriminatorBeta1, config.DiscriminatorBeta2)),
        ];
        ctx.Log.Information("adversarial distillation: student timesteps [{Timesteps}], {Updates} student updates, {D} discriminator steps each, " +
            "feature network {Features} ({Heads} heads, {Params:N0} trainable discriminator parameters), lambda {Lambda}, c(t) {Weighting}, R1 gamma {Gamma} every {Every}",
            string.Join(", ", timesteps), config.Updates, config.DiscriminatorSteps, config.FeatureNetwork, _discriminator.Heads,
            _discriminator.NumParameters(trainableOnly: true), config.DistillWeight, config.DistillWeighting, config.R1Gamma, config.R1Every);
    }

    public IReadOnlyList<TrainedModule> Trained { get; }

    public string Published => "student";

    /// <summary>Each cycle of 1 + discriminator_steps iterations: the discriminator's updates, then the student's.</summary>
    public bool IsActive(string name, long step) => (name == "student") == IsGeneratorStep(step);

    private bool IsGeneratorStep(long step) => step % (_config.DiscriminatorSteps + 1) == _config.DiscriminatorSteps;

    public StepLosses Step(StepContext c)
    {
        var generator = IsGeneratorStep(c.Step);
        var x = c.X;
        var b = x.Size(0);
        var t = _times.Index(c.RandInt(0, _times.Size(0), [b]));
        var eps = c.Randn(x.Shape);
        var z = _schedule.AddNoise(x, eps, t);
        if (_config.ZeroTerminalSnr) z = Torch.Where(Conversions.AsSampleShape(t.Ge(_maxTime), z), eps, z);
        return generator ? GeneratorStep(c, z, t) : DiscriminatorStep(c, z, t);
    }

    private StepLosses GeneratorStep(StepContext c, Tensor z, Tensor t)
    {
        var xHat = _denoiser.Predict(z, t, c.Labels).X0;
        var adversarial = HingeLoss.Generator(_discriminator.Forward(xHat, c.Labels, c.Randn));
        var distill = DistillationTerm(c, xHat);
        var total = adversarial * _config.AdversarialWeight + distill * _config.DistillWeight;
        return new StepLosses(total, new Dictionary<string, Tensor> { ["g_adv"] = adversarial, ["distill"] = distill, ["g_loss"] = total });
    }

    /// <summary>Renoise x_hat to t ~ U[t_min, t_max]; the frozen teacher's x0 there is the target (eq. 5).</summary>
    private Tensor DistillationTerm(StepContext c, Tensor xHat)
    {
        var b = xHat.Size(0);
        var t = c.Rand([b]) * (_config.DistillTMax - _config.DistillTMin) + _config.DistillTMin;
        var eps = c.Randn(xHat.Shape);
        Tensor xTeacher;
        using (Torch.NoGrad())
            xTeacher = _teacher.Predict(_schedule.AddNoise(xHat.Detach(), eps, t), t, c.Labels).X0;
        var (alpha, sigma) = _schedule.AlphaSigma(t);
        return ScoreDistillationLoss.Compute(xHat, xTeacher, alpha, sigma, _config.DistillWeighting);
    }

    private StepLosses DiscriminatorStep(StepContext c, Tensor z, Tensor t)
    {
        Tensor xHat;
        using (Torch.NoGrad())
            xHat = _denoiser.Predict(z, t, c.Labels).X0;
        var fake = _discriminator.Forward(xHat, c.Labels, c.Randn);
        var dStep = c.Step / (_config.DiscriminatorSteps + 1) * _config.DiscriminatorSteps + c.Step % (_config.DiscriminatorSteps + 1);
        var lazy = _config.R1Gamma > 0 && dStep % _config.R1Every == 0;
        IReadOnlyList<Tensor> real;
        Tensor? r1 = null;
        if (lazy) (r1, real) = R1Penalty.Compute(xr => _discriminator.Forward(xr, c.Labels, c.Randn), c.X);
        else real = _discriminator.Forward(c.X, c.Labels, c.Randn);
        var hinge = HingeLoss.Discriminator(real, fake);
        var total = r1 is null ? hinge : hinge + r1 * (_config.R1Gamma * _config.R1Every);
        var logged = new Dictionary<string, Tensor>
        {
            ["d_loss"] = hinge,
            ["d_real"] = HingeLoss.MeanScore(real),
            ["d_fake"] = HingeLoss.MeanScore(fake),
        };
        if (r1 != null) logged["r1"] = r1;
        return new StepLosses(total, logged);
    }

    /// <summary>The student's training indices: the recipe's, or the trailing 4 of the teacher's range.</summary>
    public static long[] StudentTimesteps(JobConfig job, AdversarialConfig config) =>
        config.StudentTimesteps?.Select(n => (long)n).ToArray()
        ?? TimestepSpacing.Compute("trailing", job.Diffusion.NumTrainTimesteps, Math.Min(4, job.Diffusion.NumTrainTimesteps))
            .Select(t => (long)t).ToArray();

    /// <summary>One phase; the student is measured with the few-step sampler at each eval step count whose trailing
    /// timesteps are among the student's (1, 2 and 4 for the default four).</summary>
    public static IReadOnlyList<PlannedPhase> Plan(MethodContext ctx, AdversarialConfig config)
    {
        var trained = StudentTimesteps(ctx.Job, config).ToHashSet();
        var n = ctx.Job.Diffusion.NumTrainTimesteps;
        var steps = ctx.Job.Eval.Steps.Where(k => k <= trained.Count && TimestepSpacing.Compute("trailing", n, k).All(t => trained.Contains((long)t))).ToArray();
        return
        [
            new PlannedPhase(PhaseName, "student-add", config.Updates * (config.DiscriminatorSteps + 1), config.BatchSize,
                () => new AdversarialDistillation(ctx, config), "few_step", steps, "adversarial student (few_step)",
                new LossPlot("loss_adversarial.svg", "adversarial distillation losses", "student", LogY: false), trained.Count),
        ];
    }

    public static void Validate(JobConfig job, AdversarialConfig d, Action<string, string> fail)
    {
        var n = job.Diffusion.NumTrainTimesteps;
        if (d.StudentTimesteps is { } ts)
        {
            if (ts.Length == 0 || ts.Any(v => v < 0 || v >= n) || ts.Distinct().Count() != ts.Length)
                fail("distill.student_timesteps", $"distill.student_timesteps must be distinct training indices in [0, {n - 1}], got [{string.Join(", ", ts)}]");
        }
        if (d.ZeroTerminalSnr && d.StudentTimesteps is { } own && !own.Contains(n - 1))
            fail("distill.zero_terminal_snr", $"distill.zero_terminal_snr makes the student's input at timestep {n - 1} pure noise, but distill.student_timesteps does not include {n - 1}");
        if (d.DistillTMin > d.DistillTMax)
            fail("distill.distill_t_min", $"distill.distill_t_min ({d.DistillTMin}) must not exceed distill.distill_t_max ({d.DistillTMax})");
        if (!FeatureNetworkRegistry.Names.Contains(d.FeatureNetwork))
            fail("distill.feature_network", $"distill.feature_network must be one of [{string.Join(", ", FeatureNetworkRegistry.Names)}], got '{d.FeatureNetwork}'");
        if (d.FeatureNetwork == "teacher_encoder" && job.ModelType == "mobile-unet")
            fail("distill.feature_network", "distill.feature_network teacher_encoder needs a model that exposes encoder features (unet2d, mlp); use cnn for mobile-unet");
    }

    /// <summary>The teacher's DDIM baseline at every eval step count.</summary>
    public static int[] TeacherSteps(AdversarialConfig d, int[] evalSteps) => evalSteps;

    public void Dispose()
    {
        _times.Dispose();
        _discriminator.Dispose();
        _student.Dispose();
        _teacherNet.Dispose();
    }
}
