namespace DistillDiff.Export.Quantization;

using DistillDiff.Export.Onnx;

/// <summary>
/// The float export with every weight layer's activation input exposed as an extra graph output, so ONNX Runtime
/// reports them while it runs the student's trajectory. Concats feeding a 1 x 1 conv are recorded per part.
/// </summary>
public sealed class CalibrationPolicy : IQuantPolicy
{
    private readonly Dictionary<string, string> _sites = new(StringComparer.Ordinal);
    private readonly HashSet<string> _exposed = new(StringComparer.Ordinal);

    /// <summary>Site → tensor name in the calibration graph.</summary>
    public IReadOnlyDictionary<string, string> Sites => _sites;

    public bool SplitConcat => true;

    public string Activation(OnnxGraph g, string tensor, string site)
    {
        // A conv's output site and the next conv's input site can be the same tensor: expose it once.
        if (_sites.TryAdd(site, tensor) && _exposed.Add(tensor)) g.ExtraOutput(tensor);
        return tensor;
    }

    public string Output(OnnxGraph g, string tensor, string site) => Activation(g, tensor, site);

    public string Observe(OnnxGraph g, string tensor, string site) => Activation(g, tensor, site);

    public string? Weight(OnnxGraph g, string paramName, float[] data, long[] dims, int channelAxis, long inputOffset = 0) => null;

    public string? Bias(OnnxGraph g, string paramName, float[] data, string site, string weightName) => null;
}
