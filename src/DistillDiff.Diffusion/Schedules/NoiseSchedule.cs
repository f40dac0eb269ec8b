namespace DistillDiff.Diffusion.Schedules;

using DistillDiff.Engine;

/// <summary>
/// A variance-preserving noise schedule, z_t = alpha_t x + sigma_t eps with alpha_t^2 + sigma_t^2 = 1, seen two ways
/// that agree with each other:
/// <list type="bullet">
/// <item>discrete (diffusers): <see cref="Betas"/> and <see cref="AlphasCumprod"/> over the training indices n = 0..N-1;</item>
/// <item>continuous (progressive distillation): logSNR lambda(t) = log(alpha_t^2 / sigma_t^2) for t in [0, 1],
/// 0 = data, 1 = noise.</item>
/// </list>
/// The two are tied by the framework's time convention (see DenoiserBackbone): index n is t = (n + 1) / N, so
/// <c>Alpha((n + 1) / N)^2 == AlphasCumprod[n]</c>. t outside [0, 1] is clamped into it. Every subclass defines lambda;
/// alpha and sigma follow from it as alpha^2 = sigmoid(lambda), sigma^2 = sigmoid(-lambda), which stays exact at the
/// ends: lambda = +inf gives (1, 0), lambda = -inf (zero terminal SNR) gives (0, 1), never NaN.
/// </summary>
public abstract class NoiseSchedule
{
    private readonly double[] _betas;
    private readonly double[] _alphasCumprod;

    /// <param name="betas">beta_n, n = 0..N-1.</param>
    /// <param name="alphasCumprod">prod_{i &lt;= n} (1 - beta_i); passed in so a continuous schedule can give the
    /// exact values of its own curve rather than a re-multiplied product.</param>
    protected NoiseSchedule(double[] betas, double[] alphasCumprod)
    {
        if (betas.Length < 2) throw new ArgumentException("a schedule needs at least 2 training timesteps", nameof(betas));
        if (alphasCumprod.Length != betas.Length)
            throw new ArgumentException("betas and alphas_cumprod differ in length", nameof(alphasCumprod));
        _betas = betas;
        _alphasCumprod = alphasCumprod;
    }

    /// <summary>N, the number of training timesteps (diffusers' num_train_timesteps).</summary>
    public int NumTrainTimesteps => _betas.Length;

    /// <summary>beta_n for n = 0..N-1 (a copy).</summary>
    public double[] Betas => (double[])_betas.Clone();

    /// <summary>alpha-bar_n = prod_{i &lt;= n} (1 - beta_i) = alpha_t^2 at t = (n + 1) / N (a copy).</summary>
    public double[] AlphasCumprod => (double[])_alphasCumprod.Clone();

    /// <summary>The continuous time of training index n (fractional n too): t = (n + 1) / N.</summary>
    public double TimeOf(double timestep) => (timestep + 1.0) / NumTrainTimesteps;

    /// <summary>lambda(t) = log(alpha_t^2 / sigma_t^2); +inf at a clean end, -inf at a zero-SNR end.</summary>
    public abstract double LogSnr(double t);

    /// <summary>lambda(t) elementwise, computed in float64 and returned in t's dtype (t is not differentiated).</summary>
    public Tensor LogSnr(Tensor t)
    {
        using var scope = Torch.NewDisposeScope();
        return scope.MoveOut(LogSnr64(t.Detach().To(DType.Float64)).To(t.DType));
    }

    public double Alpha(double t) => Math.Sqrt(Sigmoid(LogSnr(t)));

    public double Sigma(double t) => Math.Sqrt(Sigmoid(-LogSnr(t)));

    /// <summary>alpha_t elementwise (any shape of t, e.g. [B]); same dtype and device as t.</summary>
    public Tensor Alpha(Tensor t)
    {
        using var scope = Torch.NewDisposeScope();
        return scope.MoveOut(LogSnr64(t.Detach().To(DType.Float64)).Sigmoid().Sqrt().To(t.DType));
    }

    /// <summary>sigma_t elementwise; same dtype and device as t.</summary>
    public Tensor Sigma(Tensor t)
    {
        using var scope = Torch.NewDisposeScope();
        return scope.MoveOut(LogSnr64(t.Detach().To(DType.Float64)).Neg().Sigmoid().Sqrt().To(t.DType));
    }

    /// <summary>alpha_t and sigma_t together, from one evaluation of lambda; same dtype and device as t.</summary>
    public (Tensor Alpha, Tensor Sigma) AlphaSigma(Tensor t)
    {
        using var scope = Torch.NewDisposeScope();
        var lambda = LogSnr64(t.Detach().To(DType.Float64));
        var alpha = lambda.Sigmoid().Sqrt().To(t.DType);
        var sigma = lambda.Neg().Sigmoid().Sqrt().To(t.DType);
        scope.MoveOut(alpha, sigma);
        return (alpha, sigma);
    }

    /// <summary>
    /// The forward process at continuous times: z_t = alpha_t x + sigma_t eps (Kingma et al. 2021, eq. 1), with t [B]
    /// and alpha_t, sigma_t broadcast over each sample's dims. The schedulers' AddNoise is the same at training indices.
    /// </summary>
    public Tensor AddNoise(Tensor x, Tensor eps, Tensor t)
    {
        using var scope = Torch.NewDisposeScope();
        var (alpha, sigma) = AlphaSigma(t);
        return scope.MoveOut(PerSample(alpha, x) * x + PerSample(sigma, x) * eps);
    }

    /// <summary>[B] coefficients as [B, 1, ..., 1] against a [B, ...] sample.</summary>
    private static Tensor PerSample(Tensor c, Tensor like)
    {
        var shape = new long[like.Dim];
        Array.Fill(shape, 1L);
        shape[0] = -1;
        return c.To(like.DType).Reshape(shape);
    }

    /// <summary>lambda of a float64 tensor, in float64; the tensor views above convert dtypes around it.</summary>
    protected abstract Tensor LogSnr64(Tensor t);

    /// <summary>1 / (1 + e^-x), exact at +-inf (1 and 0).</summary>
    protected static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));

    /// <summary>lambda from alpha alone (VP): log(a^2) - log(1 - a^2); -inf at a = 0, +inf at a = 1.</summary>
    protected static double LogSnrFromAlpha(double a) => 2 * Math.Log(a) - PreciseMath.Log1P(-a * a);

    protected static Tensor LogSnrFromAlpha(Tensor a)
    {
        using var scope = Torch.NewDisposeScope();
        return scope.MoveOut(a.Log() * 2 - a.Square().Neg().Log1p());
    }
}
