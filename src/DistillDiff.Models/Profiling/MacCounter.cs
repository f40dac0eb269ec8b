namespace DistillDiff.Models.Profiling;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;

/// <summary>
/// Counts multiply-accumulates of a real forward pass: every convolution, linear layer and attention product in
/// DistillDiff.Models goes through <see cref="Counted(Conv2d, Tensor)"/>, <see cref="Counted(Linear, Tensor)"/> or
/// <see cref="AddAttention"/>, which add to the counter of the innermost <see cref="Measure(Action)"/> on this
/// thread. Counting from the shapes the pass actually produced (rather than from the config) keeps the numbers
/// honest when a block changes. Norms, activations, additions and embedding lookups are not counted: they are
/// O(elements), not O(elements x channels).
/// </summary>
public static class MacCounter
{
    [ThreadStatic] private static long _count;
    [ThreadStatic] private static int _depth;

    /// <summary>Whether a <see cref="Measure(Action)"/> is running on this thread.</summary>
    public static bool IsCounting => _depth > 0;

    /// <summary>Runs <paramref name="run"/> and returns the MACs it performed; nested measures also count towards the outer one.</summary>
    public static long Measure(Action run)
    {
        var outer = _count;
        _count = 0;
        _depth++;
        try
        {
            run();
            return _count;
        }
        finally
        {
            _depth--;
            _count += outer;
        }
    }

    /// <summary>MACs of one forward pass of <paramref name="model"/> on zeros of <paramref name="sampleShape"/> at timestep 0.</summary>
    public static long MeasureForward(DenoiserBackbone model, long[] sampleShape, bool withClassLabels = false)
    {
        using var noGrad = Torch.NoGrad();
        using var scope = Torch.NewDisposeScope();
        var device = model.Parameters().First().Device;
        var sample = Torch.Zeros(sampleShape, device: device);
        var t = Torch.Zeros([sampleShape[0]], device: device);
        var labels = withClassLabels ? Torch.Zeros([sampleShape[0]], DType.Int64, device) : null;
        return Measure(() => model.Forward(sample, t, labels));
    }

    /// <summary>Adds MACs by hand, for an operation without a counted layer.</summary>
    public static void Add(long macs)
    {
        if (_depth > 0) _count += macs;
    }

    /// <summary>conv.Forward(x), counting output elements x in_channels/groups x k_h x k_w.</summary>
    public static Tensor Counted(this Conv2d conv, Tensor x)
    {
        var y = conv.Forward(x);
        if (_depth > 0)
        {
            var w = conv.Weight.Shape;
            _count += y.NumEl * w[1] * w[2] * w[3];
        }
        return y;
    }

    /// <summary>linear.Forward(x), counting output elements x in_features.</summary>
    public static Tensor Counted(this Linear linear, Tensor x)
    {
        var y = linear.Forward(x);
        if (_depth > 0) _count += y.NumEl * linear.Weight.Shape[1];
        return y;
    }

    /// <summary>
    /// Any layer: convolutions and linears are counted here; other layers of this project (separable convs, time
    /// embeddings) count their own insides, and parameter-free ones cost nothing to count.
    /// </summary>
    public static Tensor Counted(this Layer layer, Tensor x) => layer switch
    {
        Conv2d c => c.Counted(x),
        Linear l => l.Counted(x),
        _ => layer.Forward(x),
    };

    /// <summary>The two matmuls of attention, Q K^T and softmax(.) V: 2 x batch x heads x queries x keys x head_dim.</summary>
    public static void AddAttention(long batchTimesHeads, long queries, long keys, long headDim) =>
        Add(2 * batchTimesHeads * queries * keys * headDim);
}
