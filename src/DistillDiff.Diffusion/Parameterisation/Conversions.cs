namespace DistillDiff.Diffusion.Parameterisation;

using DistillDiff.Engine;

/// <summary>
/// Exact conversions between the parameterisations at one point z = alpha x + sigma eps of a variance-preserving
/// schedule (alpha^2 + sigma^2 = 1; Salimans and Ho 2022, appendix D):
/// <code>
///   v = alpha eps - sigma x      x = alpha z - sigma v      eps = sigma z + alpha v
///   x(eps) = (z - sigma eps) / alpha                        eps(x) = (z - alpha x) / sigma
///   v(x) = (alpha z - x) / sigma                            v(eps) = (eps - sigma z) / alpha
/// </code>
/// No clamping: x(eps) and v(eps) are undefined at alpha = 0 (zero terminal SNR), eps(x) and v(x) at sigma = 0 (t = 0).
/// Tensor versions take alpha and sigma as numbers or as tensors that broadcast against the sample: per-sample [B]
/// coefficients are reshaped to [B, 1, ...] (<see cref="AsSampleShape"/>).
/// </summary>
public static class Conversions
{
    // ---- numbers ----
    public static double VFromEpsX(double eps, double x, double alpha, double sigma) => alpha * eps - sigma * x;
    public static double XFromV(double z, double v, double alpha, double sigma) => alpha * z - sigma * v;
    public static double EpsFromV(double z, double v, double alpha, double sigma) => sigma * z + alpha * v;
    public static double XFromEps(double z, double eps, double alpha, double sigma) => (z - sigma * eps) / alpha;
    public static double EpsFromX(double z, double x, double alpha, double sigma) => (z - alpha * x) / sigma;
    public static double VFromX(double z, double x, double alpha, double sigma) => (alpha * z - x) / sigma;
    public static double VFromEps(double z, double eps, double alpha, double sigma) => (eps - sigma * z) / alpha;

    /// <summary>"both": x = sigma^2 x_pred + (1 - sigma^2) x(eps_pred), written as sigma^2 x_pred + alpha (z - sigma eps_pred)
    /// (1 - sigma^2 = alpha^2) so nothing is divided by alpha and alpha = 0 gives x_pred.</summary>
    public static double XFromBoth(double z, double xPred, double epsPred, double alpha, double sigma) =>
        sigma * sigma * xPred + alpha * (z - sigma * epsPred);

    // ---- tensors with scalar coefficients ----
    public static Tensor VFromEpsX(Tensor eps, Tensor x, double alpha, double sigma) => Combine(eps, alpha, x, -sigma);
    public static Tensor XFromV(Tensor z, Tensor v, double alpha, double sigma) => Combine(z, alpha, v, -sigma);
    public static Tensor EpsFromV(Tensor z, Tensor v, double alpha, double sigma) => Combine(z, sigma, v, alpha);
    public static Tensor XFromEps(Tensor z, Tensor eps, double alpha, double sigma) => Combine(z, 1 / alpha, eps, -sigma / alpha);
    public static Tensor EpsFromX(Tensor z, Tensor x, double alpha, double sigma) => Combine(z, 1 / sigma, x, -alpha / sigma);
    public static Tensor VFromX(Tensor z, Tensor x, double alpha, double sigma) => Combine(z, alpha / sigma, x, -1 / sigma);
    public static Tensor VFromEps(Tensor z, Tensor eps, double alpha, double sigma) => Combine(eps, 1 / alpha, z, -sigma / alpha);

    private static Tensor Combine(Tensor a, double ca, Tensor b, double cb)
    {
        using var scope = Torch.NewDisposeScope();
        return scope.MoveOut(a * ca + b * cb);
    }

    // ---- tensors with tensor coefficients ([B] or already broadcastable) ----
    public static Tensor VFromEpsX(Tensor eps, Tensor x, Tensor alpha, Tensor sigma) =>
        Apply(x, alpha, sigma, (a, s) => a * eps - s * x);
    public static Tensor XFromV(Tensor z, Tensor v, Tensor alpha, Tensor sigma) =>
        Apply(z, alpha, sigma, (a, s) => a * z - s * v);
    public static Tensor EpsFromV(Tensor z, Tensor v, Tensor alpha, Tensor sigma) =>
        Apply(z, alpha, sigma, (a, s) => s * z + a * v);
    public static Tensor XFromEps(Tensor z, Tensor eps, Tensor alpha, Tensor sigma) =>
        Apply(z, alpha, sigma, (a, s) => (z - s * eps) / a);
    public static Tensor EpsFromX(Tensor z, Tensor x, Tensor alpha, Tensor sigma) =>
        Apply(z, alpha, sigma, (a, s) => (z - a * x) / s);
    public static Tensor VFromX(Tensor z, Tensor x, Tensor alpha, Tensor sigma) =>
        Apply(z, alpha, sigma, (a, s) => (a * z - x) / s);
    public static Tensor VFromEps(Tensor z, Tensor eps, Tensor alpha, Tensor sigma) =>
        Apply(z, alpha, sigma, (a, s) => (eps - s * z) / a);
    public static Tensor XFromBoth(Tensor z, Tensor xPred, Tensor epsPred, Tensor alpha, Tensor sigma) =>
        Apply(z, alpha, sigma, (a, s) => s.Square() * xPred + a * (z - s * epsPred));

    /// <summary>
    /// What a network of parameterisation <paramref name="p"/> should output for the point z = alpha x0 + sigma eps:
    /// eps, x0, v = alpha eps - sigma x0, or for <see cref="Prediction.Both"/> the two heads [x0, eps] concatenated on
    /// dim 1 (the paper's loss for "both" is on the mixed x instead: compare <see cref="DenoiserOutput.X0"/> with x0).
    /// Also converts a denoiser's (x0, eps) to a scheduler's prediction_type.
    /// </summary>
    public static Tensor Target(Prediction p, Tensor x0, Tensor eps, Tensor z, Tensor alpha, Tensor sigma) => p switch
    {
        Prediction.Epsilon => eps.Alias(),
        Prediction.Sample => x0.Alias(),
        Prediction.V => VFromEpsX(eps, x0, alpha, sigma),
        Prediction.Both => Torch.Cat([x0, eps], 1),
        _ => throw new ArgumentOutOfRangeException(nameof(p), p, null),
    };

    /// <summary><see cref="Target(Prediction, Tensor, Tensor, Tensor, Tensor, Tensor)"/> at one (alpha, sigma).</summary>
    public static Tensor Target(Prediction p, Tensor x0, Tensor eps, Tensor z, double alpha, double sigma) => p switch
    {
        Prediction.Epsilon => eps.Alias(),
        Prediction.Sample => x0.Alias(),
        Prediction.V => VFromEpsX(eps, x0, alpha, sigma),
        Prediction.Both => Torch.Cat([x0, eps], 1),
        _ => throw new ArgumentOutOfRangeException(nameof(p), p, null),
    };

    /// <summary>Reshapes per-sample coefficients [B] to [B, 1, ..., 1] so they broadcast over a [B, ...] sample;
    /// anything else (a 0-d tensor, an already broadcastable shape) is returned as a new handle unchanged.</summary>
    public static Tensor AsSampleShape(Tensor coefficient, Tensor sample)
    {
        var dims = sample.Dim;
        if (coefficient.Dim != 1 || dims <= 1) return coefficient.Alias();
        var shape = new long[dims];
        Array.Fill(shape, 1L);
        shape[0] = coefficient.Size(0);
        return coefficient.Reshape(shape);
    }

    private static Tensor Apply(Tensor sample, Tensor alpha, Tensor sigma, Func<Tensor, Tensor, Tensor> f)
    {
        using var scope = Torch.NewDisposeScope();
        return scope.MoveOut(f(AsSampleShape(alpha, sample), AsSampleShape(sigma, sample)));
    }
}
