namespace DistillDiff.Diffusion.Schedules;

using DistillDiff.Engine;

/// <summary>
/// A schedule defined by its betas (diffusers' discrete view); also the schedule of a config's trained_betas.
/// The continuous view interpolates lambda linearly in n between the table points t = (n + 1) / N, so it agrees
/// with the table exactly at those points. A segment with an infinite lambda at one end interpolates alpha = sqrt(alpha-bar)
/// linearly instead, so lambda is finite everywhere inside it and infinite only at the end itself:
/// <list type="bullet">
/// <item>t in [0, 1/N): the table is extended with alpha = 1 at t = 0 (the data itself, as DDIM's set_alpha_to_one),
/// so alpha rises to 1, sigma falls to 0 and lambda(0) = +inf; callers must not divide by sigma there;</item>
/// <item>with zero terminal SNR, the last segment t in [(N-1)/N, 1]: alpha falls linearly to 0, so alpha(1) = 0 and
/// sigma(1) = 1 exactly and lambda(1) = -inf, while every t &lt; 1 keeps a finite lambda.</item>
/// </list>
/// </summary>
public class DiscreteNoiseSchedule : NoiseSchedule
{
    // Tables over k = n + 1 = t * N, k = 0..N (k = 0 is the t = 0 extension).
    private readonly double[] _lambda;     // lambda_k; infinite entries replaced by 0 (their segments use alpha)
    private readonly double[] _alpha;      // sqrt(alpha-bar_k), alpha_0 = 1
    private readonly bool[] _alphaSegment; // segment [k, k+1] interpolates alpha (an end has infinite lambda)
    private readonly double[] _segments;   // per segment k, row-major [N, 5]: lambda_k, lambda_k+1, alpha_k, alpha_k+1, 1 if alpha segment

    public DiscreteNoiseSchedule(IReadOnlyList<double> betas, bool rescaleZeroTerminalSnr = false)
        : this(Prepare(betas, rescaleZeroTerminalSnr))
    {
    }

    private DiscreteNoiseSchedule((double[] Betas, double[] AlphasCumprod, double[] LogAlphasCumprod) t)
        : base(t.Betas, t.AlphasCumprod)
    {
        var n = t.Betas.Length;
        _lambda = new double[n + 1];
        _alpha = new double[n + 1];
        _alphaSegment = new bool[n];
        _alpha[0] = 1;
        var infinite = new bool[n + 1];
        infinite[0] = true;
        for (var k = 1; k <= n; k++)
        {
            var logBar = t.LogAlphasCumprod[k - 1];
            // lambda = log(a-bar) - log(1 - a-bar), with 1 - a-bar = -expm1(log a-bar): exact near a-bar = 1.
            var lambda = logBar - Math.Log(-PreciseMath.Expm1(logBar));
            infinite[k] = double.IsInfinity(lambda);
            _lambda[k] = infinite[k] ? 0 : lambda;
            _alpha[k] = Math.Sqrt(t.AlphasCumprod[k - 1]);
        }
        _segments = new double[5 * n];
        for (var k = 0; k < n; k++)
        {
            _alphaSegment[k] = infinite[k] || infinite[k + 1];
            (_segments[5 * k], _segments[5 * k + 1], _segments[5 * k + 2], _segments[5 * k + 3], _segments[5 * k + 4]) =
                (_lambda[k], _lambda[k + 1], _alpha[k], _alpha[k + 1], _alphaSegment[k] ? 1 : 0);
        }
    }

    private static (double[], double[], double[]) Prepare(IReadOnlyList<double> betas, bool rescale)
    {
        var b = rescale ? ZeroTerminalSnr.RescaleBetas(betas) : betas.ToArray();
        for (var i = 0; i < b.Length; i++)
            if (!(b[i] >= 0 && b[i] <= 1))
                throw new ArgumentException($"beta[{i}] = {b[i]} is outside [0, 1]", nameof(betas));
        var bar = new double[b.Length];
        var logBar = new double[b.Length];
        double prod = 1, log = 0;
        for (var i = 0; i < b.Length; i++)
        {
            prod *= 1 - b[i];     // diffusers: torch.cumprod(1 - betas)
            log += PreciseMath.Log1P(-b[i]);
            bar[i] = prod;
            logBar[i] = log;
        }
        return (b, bar, logBar);
    }

    public override double LogSnr(double t)
    {
        var n = NumTrainTimesteps;
        var pos = Math.Clamp(t, 0, 1) * n;
        var k = (int)Math.Clamp(Math.Floor(pos), 0, n - 1);
        var f = pos - k;
        if (!_alphaSegment[k]) return _lambda[k] + f * (_lambda[k + 1] - _lambda[k]);
        return LogSnrFromAlpha(_alpha[k] + f * (_alpha[k + 1] - _alpha[k]));
    }

    protected override Tensor LogSnr64(Tensor t)
    {
        using var scope = Torch.NewDisposeScope();
        var n = NumTrainTimesteps;
        var pos = t.Clamp(0, 1) * n;
        var k = pos.Floor().Clamp(0, n - 1);
        var f = pos - k;
        // One gather of the segment's row (both ends of lambda and alpha, and the flag) instead of five.
        var rows = Torch.FromSpan<double>(_segments, [n, 5], t.Device).IndexSelect(0, k.Long().Flatten());
        Tensor Column(int c) => rows.Select(1, c).Reshape(t.Shape);
        var (l0, l1, a0, a1, useAlpha) = (Column(0), Column(1), Column(2), Column(3), Column(4));
        var fromLambda = l0 + f * (l1 - l0);
        var fromAlpha = LogSnrFromAlpha(a0 + f * (a1 - a0));
        return scope.MoveOut(Torch.Where(useAlpha > 0.5, fromAlpha, fromLambda));
    }
}
