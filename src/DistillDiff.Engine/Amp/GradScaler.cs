namespace DistillDiff.Engine.Amp;

using static DistillDiff.Engine.Native.NativeMethods;

/// <summary>
/// Dynamic loss scaling for float16 training, with the rules of torch.amp.GradScaler: the loss is multiplied by
/// <see cref="Scale"/> before backward so small fp16 gradients do not flush to zero; the gradients are divided by
/// it again before clipping and the optimizer step. A step whose gradients hold an inf or nan is skipped and the
/// scale multiplied by <see cref="BackoffFactor"/>; after <see cref="GrowthInterval"/> finite steps in a row it is
/// multiplied by <see cref="GrowthFactor"/>. The logic is device-independent (one host sync per step, for the
/// finite check), so it is tested on the CPU with injected inf gradients.
/// </summary>
public sealed class GradScaler
{
    public GradScaler(double initScale = 65536, double growthFactor = 2, double backoffFactor = 0.5, int growthInterval = 2000)
    {
        if (!(initScale > 0) || double.IsInfinity(initScale)) throw new ArgumentOutOfRangeException(nameof(initScale), initScale, "the initial loss scale must be a positive number");
        if (!(growthFactor > 1)) throw new ArgumentOutOfRangeException(nameof(growthFactor), growthFactor, "the growth factor must be above 1");
        if (!(backoffFactor > 0 && backoffFactor < 1)) throw new ArgumentOutOfRangeException(nameof(backoffFactor), backoffFactor, "the backoff factor must be in (0, 1)");
        if (growthInterval < 1) throw new ArgumentOutOfRangeException(nameof(growthInterval), growthInterval, "the growth interval must be at least 1");
        (Scale, GrowthFactor, BackoffFactor, GrowthInterval) = (initScale, growthFactor, backoffFactor, growthInterval);
    }

    /// <summary>The current loss scale.</summary>
    public double Scale { get; private set; }

    /// <summary>Finite steps since the scale last changed.</summary>
    public int GrowthTracker { get; private set; }

    /// <summary>Steps skipped so far because their gradients overflowed.</summary>
    public long SkippedSteps { get; private set; }

    public double GrowthFactor { get; }
    public double BackoffFactor { get; }
    public int GrowthInterval { get; }

    /// <summary>loss × scale, the tensor to call Backward on.</summary>
    public Tensor ScaleLoss(Tensor loss) => loss * Scale;

    /// <summary>
    /// Divides the parameters' gradients by the scale, in place, and updates the scale. Returns true when every
    /// gradient is finite (take the optimizer step), false when the step must be skipped.
    /// </summary>
    public unsafe bool Unscale(IReadOnlyList<Tensor> parameters)
    {
        var hs = Tensor.Handles(parameters);
        int finite;
        fixed (IntPtr* p = hs) finite = dd_unscale_grads(p, hs.Length, 1.0 / Scale);
        Tensor.Check(finite, "unscale_grads");
        Update(finite == 1);
        return finite == 1;
    }

    private void Update(bool finite)
    {
        if (!finite)
        {
            Scale *= BackoffFactor;
            GrowthTracker = 0;
            SkippedSteps++;
            return;
        }
        if (++GrowthTracker < GrowthInterval) return;
        // Growth stops short of overflowing the scale itself (torch grows it unchecked; an inf scale never recovers).
        if (double.IsFinite(Scale * GrowthFactor)) Scale *= GrowthFactor;
        GrowthTracker = 0;
    }

    /// <summary>What a checkpoint keeps, so a resumed run continues with the same scale.</summary>
    public GradScalerState State => new(Scale, GrowthTracker, SkippedSteps);

    public void Restore(GradScalerState state)
    {
        if (!(state.Scale > 0) || double.IsInfinity(state.Scale))
            throw new ArgumentException($"loss scaler state has scale {state.Scale}; it must be a positive finite number");
        if (state.GrowthTracker < 0) throw new ArgumentException($"loss scaler state has growth_tracker {state.GrowthTracker}; it must be at least 0");
        (Scale, GrowthTracker, SkippedSteps) = (state.Scale, state.GrowthTracker, state.SkippedSteps);
    }
}
