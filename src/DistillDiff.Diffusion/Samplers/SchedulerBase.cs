namespace DistillDiff.Diffusion.Samplers;

using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Schedules;
using DistillDiff.Engine;

/// <summary>
/// What the schedulers share: the schedule built from the config, alpha-bar by training index, the timestep list,
/// VP noising, and turning a model output into (x0-hat, eps-hat) with clipping or dynamic thresholding.
/// </summary>
public abstract class SchedulerBase : IScheduler
{
    private double[] _timesteps = [];

    protected SchedulerBase(SchedulerConfig config)
    {
        Config = config;
        DiffusersSchedulerClasses.Check(ClassName, config);
        Schedule = ScheduleRegistry.Create(config.ToScheduleConfig());
        AlphasCumprod = Schedule.AlphasCumprod;
        PredictionType = PredictionNames.Parse(config.PredictionType);
        if (PredictionType == Prediction.Both)
            throw new ArgumentException("prediction_type 'both' is a network parameterisation; give schedulers epsilon, sample or v_prediction");
        _ = TimestepSpacing.Compute(config.TimestepSpacing, Schedule.NumTrainTimesteps, 1, 0); // validates the name early
    }

    public abstract string ClassName { get; }

    public SchedulerConfig Config { get; }

    public NoiseSchedule Schedule { get; }

    public Prediction PredictionType { get; }

    public int NumTrainTimesteps => Schedule.NumTrainTimesteps;

    /// <summary>alpha-bar by training index (diffusers' alphas_cumprod).</summary>
    protected double[] AlphasCumprod { get; }

    public IReadOnlyList<double> Timesteps => _timesteps;

    /// <summary>n of the last SetTimesteps (diffusers' num_inference_steps), 0 before.</summary>
    protected int NumInferenceSteps { get; private set; }

    public virtual double InitNoiseSigma => 1.0;

    /// <summary>Whether the diffusers class clamps x0-hat with clip_sample / thresholds it with thresholding.</summary>
    protected virtual bool HasClipSample => true;

    protected virtual bool HasThresholding => true;

    public virtual void SetTimesteps(int numInferenceSteps) =>
        SetTimestepList(TimestepSpacing.Compute(Config.TimestepSpacing, NumTrainTimesteps, numInferenceSteps, Config.StepsOffset), numInferenceSteps);

    protected void SetTimestepList(double[] timesteps, int numInferenceSteps)
    {
        _timesteps = timesteps;
        NumInferenceSteps = numInferenceSteps;
    }

    public virtual Tensor ScaleModelInput(Tensor sample, double timestep) => sample.Alias();

    public abstract Tensor Step(Tensor modelOutput, double timestep, Tensor sample, Generator? gen = null);

    /// <summary>z = sqrt(alpha-bar_t) x0 + sqrt(1 - alpha-bar_t) eps (Ho et al. 2020, eq. 4).</summary>
    public virtual Tensor AddNoise(Tensor originalSamples, Tensor noise, Tensor timesteps)
    {
        using var scope = Torch.NewDisposeScope();
        var bar = Gather(AlphasCumprod, timesteps, originalSamples);
        return scope.MoveOut(bar.Sqrt() * originalSamples + (1 - bar).Sqrt() * noise);
    }

    /// <summary>table[timesteps] as [B, 1, ...] in the sample's dtype and device.</summary>
    protected static Tensor Gather(double[] table, Tensor timesteps, Tensor like)
    {
        using var scope = Torch.NewDisposeScope();
        var values = Torch.FromSpan<double>(table, [table.Length], like.Device).Index(timesteps.To(DType.Int64, like.Device));
        return scope.MoveOut(Conversions.AsSampleShape(values.To(like.DType), like));
    }

    /// <summary>A timestep of an integer scheduler (DDPM, DDIM) as a training index, checked.</summary>
    protected long Index(double timestep)
    {
        if (timestep != Math.Floor(timestep) || timestep < 0 || timestep >= NumTrainTimesteps)
            throw new ArgumentOutOfRangeException(nameof(timestep), timestep, $"{ClassName} takes integer timesteps in [0, {NumTrainTimesteps - 1}]");
        return (long)timestep;
    }

    /// <summary>The entry after <paramref name="timestep"/> in Timesteps, -1 after the last (the data); diffusers'
    /// DDPMScheduler.previous_timestep.</summary>
    protected long NextInList(double timestep)
    {
        if (_timesteps.Length == 0) throw new InvalidOperationException("call SetTimesteps before Step");
        var i = Array.IndexOf(_timesteps, timestep);
        if (i < 0) throw new ArgumentException($"{ClassName}: timestep {timestep} is not one of Timesteps");
        return i + 1 < _timesteps.Length ? (long)_timesteps[i + 1] : -1;
    }

    /// <summary>
    /// x0-hat and eps-hat from the model output at a point with alpha-bar = <paramref name="alphaProd"/> (diffusers'
    /// "predicted x_0", DDIM eq. 12): epsilon: x0 = (z - sqrt(1 - a) eps) / sqrt(a); sample: eps = (z - sqrt(a) x0) / sqrt(1 - a);
    /// v: x0 = sqrt(a) z - sqrt(1 - a) v, eps = sqrt(a) v + sqrt(1 - a) z. x0-hat is then thresholded or clipped; eps-hat
    /// is not recomputed (diffusers' use_clipped_model_output = False). Divisors are floored at 1e-12 so alpha-bar = 0
    /// with epsilon gives a huge but finite x0 (zero terminal SNR needs v or sample prediction).
    /// </summary>
    protected (Tensor X0, Tensor Eps) PredictOriginal(Tensor modelOutput, Tensor sample, double alphaProd)
    {
        using var scope = Torch.NewDisposeScope();
        var (alpha, sigma) = (Math.Sqrt(alphaProd), Math.Sqrt(1 - alphaProd));
        var (alphaDiv, sigmaDiv) = (Math.Max(alpha, 1e-12), Math.Max(sigma, 1e-12));
        var (x0, eps) = PredictionType switch
        {
            Prediction.Epsilon => (Conversions.XFromEps(sample, modelOutput, alphaDiv, sigma), modelOutput.Alias()),
            Prediction.Sample => (modelOutput.Alias(), Conversions.EpsFromX(sample, modelOutput, alpha, sigmaDiv)),
            Prediction.V => (Conversions.XFromV(sample, modelOutput, alpha, sigma), Conversions.EpsFromV(sample, modelOutput, alpha, sigma)),
            _ => throw new InvalidOperationException($"prediction {PredictionType} is not a scheduler prediction_type"),
        };
        x0 = BoundOriginal(x0);
        scope.MoveOut(x0, eps);
        return (x0, eps);
    }

    /// <summary>Dynamic thresholding if configured (and the class has it), else clipping if configured (and the class has
    /// it), else x0 itself (a new handle); diffusers' order.</summary>
    protected Tensor BoundOriginal(Tensor x0)
    {
        if (HasThresholding && Config.Thresholding) return Thresholding.Dynamic(x0, Config.DynamicThresholdingRatio, Config.SampleMaxValue);
        if (HasClipSample && Config.ClipSample) return Thresholding.Clip(x0, Config.ClipSampleRange);
        return x0.Alias();
    }

    /// <summary>Checks that <paramref name="timestep"/> is entry <paramref name="expectedIndex"/> of Timesteps: the
    /// stateful schedulers count their steps (diffusers' step_index) and must be driven entry by entry.</summary>
    protected void CheckStepOrder(double timestep, int expectedIndex)
    {
        if (_timesteps.Length == 0) throw new InvalidOperationException("call SetTimesteps before Step");
        if (expectedIndex >= _timesteps.Length)
            throw new InvalidOperationException($"{ClassName}: all {_timesteps.Length} timesteps are done; call SetTimesteps again");
        if (_timesteps[expectedIndex] != timestep)
            throw new InvalidOperationException(
                $"{ClassName} keeps state between steps: expected timestep {_timesteps[expectedIndex]} (entry {expectedIndex} of Timesteps), got {timestep}");
    }
}
