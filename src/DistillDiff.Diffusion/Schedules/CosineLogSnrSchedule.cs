namespace DistillDiff.Diffusion.Schedules;

using DistillDiff.Engine;

/// <summary>
/// "cosine_logsnr", the continuous schedule of progressive distillation (Salimans and Ho 2022; their
/// logsnr_schedule_cosine): lambda(t) = -2 log tan(a t + b) clipped to [-20, 20], with b = atan(e^{-10}) and
/// a = atan(e^{10}) - b so that lambda(0) = 20, lambda(1) = -20 and lambda(1/2) = 0 (atan x + atan 1/x = pi/2).
/// The discrete view samples the curve: alpha-bar_n = sigmoid(lambda((n + 1) / N)).
/// With zero terminal SNR the curve's alpha is rescaled as in Lin et al. (shift so alpha(1) = 0, scale so alpha(0)
/// is kept), anchored at t = 0 and t = 1 of the continuous curve; lambda(1) is then -inf.
/// </summary>
public sealed class CosineLogSnrSchedule : NoiseSchedule
{
    public const double LogSnrMax = 20;
    public const double LogSnrMin = -20;

    private static readonly double B = Math.Atan(Math.Exp(-0.5 * LogSnrMax));
    private static readonly double A = Math.Atan(Math.Exp(-0.5 * LogSnrMin)) - B;

    // Ends of the unrescaled curve, the anchors of the zero-terminal-SNR rescale.
    private static readonly double Alpha0 = Math.Sqrt(Sigmoid(RawLogSnr(0)));
    private static readonly double Alpha1 = Math.Sqrt(Sigmoid(RawLogSnr(1)));
    private static readonly double OneMinusAlpha0 = Sigmoid(-RawLogSnr(0)) / (1 + Alpha0); // 1 - a = sigma^2 / (1 + a): no cancellation

    private readonly bool _rescale;

    public CosineLogSnrSchedule(int numTrainTimesteps = 1000, bool rescaleZeroTerminalSnr = false)
        : this(Tables(numTrainTimesteps, rescaleZeroTerminalSnr), rescaleZeroTerminalSnr)
    {
    }

    private CosineLogSnrSchedule((double[] Betas, double[] AlphasCumprod) t, bool rescale) : base(t.Betas, t.AlphasCumprod) =>
        _rescale = rescale;

    /// <summary>The unrescaled curve -2 log tan(a t + b), clipped.</summary>
    private static double RawLogSnr(double t) =>
        Math.Clamp(-2 * Math.Log(Math.Tan(A * Math.Clamp(t, 0, 1) + B)), LogSnrMin, LogSnrMax);

    private static double CurveLogSnr(double t, bool rescale)
    {
        var raw = RawLogSnr(t);
        if (!rescale) return raw;
        var (a0, a1) = (Alpha0, Alpha1);
        var alpha = Math.Sqrt(Sigmoid(raw));
        // alpha' = (alpha - a1) a0 / (a0 - a1) is exactly 0 at t = 1; its complement is computed from the small
        // differences 1 - alpha = sigma^2 / (1 + alpha), 1 - a0, so lambda' stays exact near t = 0 where alpha' ~ 1:
        // 1 - alpha' = (a0 (1 - alpha) - a1 (1 - a0)) / (a0 - a1);  lambda' = log alpha'^2 - log((1 - alpha') (1 + alpha')).
        var scaled = Math.Max(ZeroTerminalSnr.RescaleAlpha(alpha, a0, a1), 0);
        var complement = (a0 * Sigmoid(-raw) / (1 + alpha) - a1 * OneMinusAlpha0) / (a0 - a1);
        return 2 * Math.Log(scaled) - Math.Log(complement * (1 + scaled));
    }

    private static (double[], double[]) Tables(int n, bool rescale)
    {
        if (n < 2) throw new ArgumentOutOfRangeException(nameof(n), n, "need at least 2 training timesteps");
        var bar = new double[n];
        var betas = new double[n];
        for (var i = 0; i < n; i++)
        {
            bar[i] = Sigmoid(CurveLogSnr((i + 1.0) / n, rescale));
            betas[i] = 1 - bar[i] / (i == 0 ? 1 : bar[i - 1]);
        }
        return (betas, bar);
    }

    public override double LogSnr(double t) => CurveLogSnr(t, _rescale);

    protected override Tensor LogSnr64(Tensor t)
    {
        using var scope = Torch.NewDisposeScope();
        var raw = (t.Clamp(0, 1) * A + B).Tan().Log().Mul(-2).Clamp(LogSnrMin, LogSnrMax);
        if (!_rescale) return scope.MoveOut(raw);
        // As CurveLogSnr: alpha' from alpha, 1 - alpha' from the small differences.
        var alpha = raw.Sigmoid().Sqrt();
        var scaled = ((alpha - Alpha1) * (Alpha0 / (Alpha0 - Alpha1))).Clamp(0, 1);
        var complement = (raw.Neg().Sigmoid() / (alpha + 1) * Alpha0 - Alpha1 * OneMinusAlpha0) / (Alpha0 - Alpha1);
        return scope.MoveOut(scaled.Log() * 2 - (complement * (scaled + 1)).Log());
    }
}
