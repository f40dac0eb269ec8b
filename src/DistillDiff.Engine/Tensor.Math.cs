namespace DistillDiff.Engine;

using static DistillDiff.Engine.Native.NativeMethods;

// Elementwise math and the C# operators. Scalars cross the boundary as doubles: no native handle per literal. An
// integral value keeps an integer tensor integer (t * 2, 999 - t stay int64), as a Python int does in PyTorch.
public sealed partial class Tensor
{
    public Tensor Add(Tensor other, double alpha = 1) => Wrap(dd_add(Handle, other.Handle, alpha), "add");
    public Tensor Add(double s) => Wrap(dd_add_scalar(Handle, s), "add");
    public Tensor Sub(Tensor other, double alpha = 1) => Wrap(dd_sub(Handle, other.Handle, alpha), "sub");
    public Tensor Sub(double s) => Wrap(dd_add_scalar(Handle, -s), "sub");
    public Tensor Mul(Tensor other) => Wrap(dd_mul(Handle, other.Handle), "mul");
    public Tensor Mul(double s) => Wrap(dd_mul_scalar(Handle, s), "mul");
    public Tensor Div(Tensor other) => Wrap(dd_div(Handle, other.Handle), "div");
    public Tensor Div(double s) => Wrap(dd_div_scalar(Handle, s), "div");
    public Tensor Pow(Tensor e) => Wrap(dd_pow(Handle, e.Handle), "pow");
    public Tensor Pow(double e) => Wrap(dd_pow_scalar(Handle, e), "pow");
    public Tensor Fmod(double s) => Wrap(dd_fmod_scalar(Handle, s), "fmod");
    public Tensor Maximum(Tensor other) => Wrap(dd_maximum(Handle, other.Handle), "maximum");
    public Tensor Minimum(Tensor other) => Wrap(dd_minimum(Handle, other.Handle), "minimum");
    public Tensor Atan2(Tensor other) => Wrap(dd_atan2(Handle, other.Handle), "atan2");
    public Tensor MatMul(Tensor other) => Wrap(dd_matmul(Handle, other.Handle), "matmul");
    public Tensor Bmm(Tensor other) => Wrap(dd_bmm(Handle, other.Handle), "bmm");
    public Tensor Outer(Tensor other) => Wrap(dd_outer(Handle, other.Handle), "outer");

    public Tensor Neg() => Wrap(dd_neg(Handle), "neg");
    public Tensor Abs() => Wrap(dd_abs(Handle), "abs");
    public Tensor Exp() => Wrap(dd_exp(Handle), "exp");
    public Tensor Expm1() => Wrap(dd_expm1(Handle), "expm1");
    public Tensor Log() => Wrap(dd_log(Handle), "log");
    public Tensor Log1p() => Wrap(dd_log1p(Handle), "log1p");
    public Tensor Sqrt() => Wrap(dd_sqrt(Handle), "sqrt");
    public Tensor Rsqrt() => Wrap(dd_rsqrt(Handle), "rsqrt");
    public Tensor Square() => Wrap(dd_square(Handle), "square");
    public Tensor Reciprocal() => Wrap(dd_reciprocal(Handle), "reciprocal");
    public Tensor Sin() => Wrap(dd_sin(Handle), "sin");
    public Tensor Cos() => Wrap(dd_cos(Handle), "cos");
    public Tensor Tan() => Wrap(dd_tan(Handle), "tan");
    public Tensor Atan() => Wrap(dd_atan(Handle), "atan");
    public Tensor Tanh() => Wrap(dd_tanh(Handle), "tanh");
    public Tensor Sigmoid() => Wrap(dd_sigmoid(Handle), "sigmoid");
    public Tensor Relu() => Wrap(dd_relu(Handle), "relu");
    public Tensor Silu() => Wrap(dd_silu(Handle), "silu");
    public Tensor Softplus() => Wrap(dd_softplus(Handle), "softplus");
    public Tensor Gelu(bool tanhApproximation = false) => Wrap(dd_gelu(Handle, tanhApproximation ? 1 : 0), "gelu");
    public Tensor LeakyRelu(double slope = 0.01) => Wrap(dd_leaky_relu(Handle, slope), "leaky_relu");
    public Tensor Sign() => Wrap(dd_sign(Handle), "sign");
    public Tensor Floor() => Wrap(dd_floor(Handle), "floor");
    public Tensor Ceil() => Wrap(dd_ceil(Handle), "ceil");
    public Tensor Round() => Wrap(dd_round(Handle), "round");
    public Tensor Erf() => Wrap(dd_erf(Handle), "erf");
    public Tensor IsNan() => Wrap(dd_isnan(Handle), "isnan");
    public Tensor IsFinite() => Wrap(dd_isfinite(Handle), "isfinite");
    public Tensor LogicalNot() => Wrap(dd_logical_not(Handle), "logical_not");
    public Tensor LogicalAnd(Tensor o) => Wrap(dd_logical_and(Handle, o.Handle), "logical_and");
    public Tensor LogicalOr(Tensor o) => Wrap(dd_logical_or(Handle, o.Handle), "logical_or");

    public Tensor Clamp(double? min = null, double? max = null) =>
        Wrap(dd_clamp(Handle, min ?? 0, max ?? 0, min.HasValue ? 1 : 0, max.HasValue ? 1 : 0), "clamp");
    public Tensor Clamp(Tensor? min, Tensor? max) =>
        Wrap(dd_clamp_tensor(Handle, min?.Handle ?? IntPtr.Zero, max?.Handle ?? IntPtr.Zero), "clamp");
    /// <summary>this + weight * (end - this).</summary>
    public Tensor Lerp(Tensor end, double weight) => Wrap(dd_lerp(Handle, end.Handle, weight), "lerp");
    public Tensor Lerp(Tensor end, Tensor weight) => Wrap(dd_lerp_tensor(Handle, end.Handle, weight.Handle), "lerp");
    public Tensor MaskedFill(Tensor mask, double value) => Wrap(dd_masked_fill(Handle, mask.Handle, value), "masked_fill");

    // ---- comparisons: bool tensors ----
    private Tensor Compare(Tensor o, int op) => Wrap(dd_compare(Handle, o.Handle, op), "compare");
    private Tensor Compare(double s, int op) => Wrap(dd_compare_scalar(Handle, s, op), "compare");
    public Tensor Eq(Tensor o) => Compare(o, 0);
    public Tensor Eq(double s) => Compare(s, 0);
    public Tensor Ne(Tensor o) => Compare(o, 1);
    public Tensor Ne(double s) => Compare(s, 1);
    public Tensor Lt(Tensor o) => Compare(o, 2);
    public Tensor Lt(double s) => Compare(s, 2);
    public Tensor Le(Tensor o) => Compare(o, 3);
    public Tensor Le(double s) => Compare(s, 3);
    public Tensor Gt(Tensor o) => Compare(o, 4);
    public Tensor Gt(double s) => Compare(s, 4);
    public Tensor Ge(Tensor o) => Compare(o, 5);
    public Tensor Ge(double s) => Compare(s, 5);

    /// <summary>Same shape and |a - b| &lt;= atol + rtol |b| everywhere.</summary>
    public bool AllClose(Tensor other, double rtol = 1e-5, double atol = 1e-8) =>
        Checked(dd_allclose(Handle, other.Handle, rtol, atol), "allclose") == 1;

    /// <summary>Same shape and exactly the same elements.</summary>
    public bool Equal(Tensor other) => Checked(dd_equal(Handle, other.Handle), "equal") == 1;

    // ---- operators ----
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    public static Tensor operator +(Tensor a, double s) => a.Add(s);
    public static Tensor operator +(double s, Tensor a) => a.Add(s);
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    public static Tensor operator -(Tensor a, double s) => a.Add(-s);
    public static Tensor operator -(double s, Tensor a) => Wrap(dd_rsub_scalar(a.Handle, s), "rsub");
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    public static Tensor operator *(Tensor a, double s) => a.Mul(s);
    public static Tensor operator *(double s, Tensor a) => a.Mul(s);
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    public static Tensor operator /(Tensor a, double s) => a.Div(s);
    public static Tensor operator /(double s, Tensor a) => Wrap(dd_rdiv_scalar(a.Handle, s), "rdiv");
    public static Tensor operator -(Tensor a) => a.Neg();
    public static Tensor operator <(Tensor a, Tensor b) => a.Lt(b);
    public static Tensor operator >(Tensor a, Tensor b) => a.Gt(b);
    public static Tensor operator <=(Tensor a, Tensor b) => a.Le(b);
    public static Tensor operator >=(Tensor a, Tensor b) => a.Ge(b);
    public static Tensor operator <(Tensor a, double s) => a.Lt(s);
    public static Tensor operator >(Tensor a, double s) => a.Gt(s);
    public static Tensor operator <=(Tensor a, double s) => a.Le(s);
    public static Tensor operator >=(Tensor a, double s) => a.Ge(s);
    public static Tensor operator &(Tensor a, Tensor b) => a.LogicalAnd(b);
    public static Tensor operator |(Tensor a, Tensor b) => a.LogicalOr(b);
    public static Tensor operator !(Tensor a) => a.LogicalNot();

    // ---- in place ----
    public Tensor Copy_(Tensor src) { Check(dd_copy_(Handle, src.Handle), "copy_"); return this; }
    public Tensor Fill_(double v) { Check(dd_fill_(Handle, v), "fill_"); return this; }
    public Tensor Zero_() { Check(dd_zero_(Handle), "zero_"); return this; }
    public Tensor Add_(Tensor other, double alpha = 1) { Check(dd_add_(Handle, other.Handle, alpha), "add_"); return this; }
    public Tensor Add_(double s) { Check(dd_add_scalar_(Handle, s), "add_"); return this; }
    public Tensor Sub_(Tensor other) { Check(dd_sub_(Handle, other.Handle), "sub_"); return this; }
    public Tensor Mul_(Tensor other) { Check(dd_mul_(Handle, other.Handle), "mul_"); return this; }
    public Tensor Mul_(double s) { Check(dd_mul_scalar_(Handle, s), "mul_"); return this; }
    public Tensor Div_(double s) { Check(dd_div_scalar_(Handle, s), "div_"); return this; }
    public Tensor Lerp_(Tensor end, double weight) { Check(dd_lerp_(Handle, end.Handle, weight), "lerp_"); return this; }
    public Tensor MaskedFill_(Tensor mask, double v) { Check(dd_masked_fill_(Handle, mask.Handle, v), "masked_fill_"); return this; }
    public Tensor Clamp_(double? min = null, double? max = null)
    {
        Check(dd_clamp_(Handle, min ?? 0, max ?? 0, min.HasValue ? 1 : 0, max.HasValue ? 1 : 0), "clamp_");
        return this;
    }
    public Tensor Normal_(double mean = 0, double std = 1, Generator? gen = null)
    {
        Check(dd_normal_(Handle, mean, std, gen?.Handle ?? IntPtr.Zero), "normal_");
        return this;
    }
    public Tensor Uniform_(double low = 0, double high = 1, Generator? gen = null)
    {
        Check(dd_uniform_(Handle, low, high, gen?.Handle ?? IntPtr.Zero), "uniform_");
        return this;
    }
}
