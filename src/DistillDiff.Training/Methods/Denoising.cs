namespace DistillDiff.Training.Methods;

using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Schedules;
using DistillDiff.Engine;
using DistillDiff.Engine.Optim;
using DistillDiff.Models;
using DistillDiff.Training.Config;
using DistillDiff.Training.Loop;
using DistillDiff.Training.Losses;
using DistillDiff.Training.Trainers;

/// <summary>
/// Teacher training by plain denoising: t = (i + 1) / N with i ~ U{0..N-1}, z_t = alpha_t x + sigma_t eps, and the
/// x-space loss w(t) ||x_hat - x||^p whose default weighting equals the parameterisation's own MSE (eps: snr, v: 1 + snr).
/// </summary>
public sealed class Denoising : ITrainingMethod
{
    public const string PhaseName = "teacher";

    private readonly DenoiserBackbone _model;
    private readonly Denoiser _denoiser;
    private readonly NoiseSchedule _schedule;
    private readonly LossWeighting _weighting;
    private readonly LossNorm _norm;

    public Denoising(MethodContext ctx, TeacherConfig config)
    {
        _model = ModelSetup.Create(ctx.Job);
        _model.To(ctx.Device);
        _schedule = ctx.Schedule;
        _denoiser = new Denoiser(_model, ctx.Schedule, ctx.Prediction);
        (_weighting, _norm) = (config.ResolvedWeighting(ctx.Prediction), config.Loss);
        Trained = [new TrainedModule("model", _model, new OptimizerSettings(config.Lr, new LrSchedule(LrScheduleKind.Constant, config.WarmupSteps),
            WeightDecay: config.WeightDecay, GradClip: config.GradClip, EmaDecay: config.EmaDecay))];
        ctx.Log.Information("teacher: {Model} with {Params:N0} parameters, prediction {Prediction}, loss {Loss} weighted {Weighting}, {Steps} steps",
            ctx.Job.ModelType, _model.NumParameters(), ctx.Job.Diffusion.Prediction, _norm, _weighting, config.Steps);
    }

    public IReadOnlyList<TrainedModule> Trained { get; }

    public string Published => "model";

    public bool IsActive(string name, long step) => true;

    public StepLosses Step(StepContext c)
    {
        var n = _schedule.NumTrainTimesteps;
        var t = (c.RandInt(0, n, [c.X.Size(0)]).To(DType.Float32) + 1.0) / n;
        var eps = c.Randn(c.X.Shape);
        var z = _schedule.AddNoise(c.X, eps, t);
        var (alpha, sigma) = _schedule.AlphaSigma(t);
        var output = _denoiser.Predict(z, t, c.Labels);
        return StepLosses.Single(XSpaceLoss.Compute(output.X0, c.X, alpha, sigma, _weighting, _norm));
    }

    /// <summary>The teacher phase of a run that trains its own teacher.</summary>
    public static PlannedPhase Plan(MethodContext ctx, TeacherConfig config) =>
        new(PhaseName, "teacher", config.Steps, config.BatchSize, () => new Denoising(ctx, config), "pd", [], "teacher (pd)",
            new LossPlot("loss_teacher.svg", "teacher training loss", "teacher"));

    public void Dispose() => _model.Dispose();
}
