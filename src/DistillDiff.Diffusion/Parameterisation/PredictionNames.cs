namespace DistillDiff.Diffusion.Parameterisation;

/// <summary>The diffusers spelling of <see cref="Prediction"/> (prediction_type), plus "both", which is ours.</summary>
public static class PredictionNames
{
    public static string ToName(Prediction p) => p switch
    {
        Prediction.Epsilon => "epsilon",
        Prediction.Sample => "sample",
        Prediction.V => "v_prediction",
        Prediction.Both => "both",
        _ => throw new ArgumentOutOfRangeException(nameof(p), p, null),
    };

    /// <summary>Parses epsilon | sample | v_prediction | both (also "eps", "x", "v").</summary>
    public static Prediction Parse(string name) => name switch
    {
        "epsilon" or "eps" => Prediction.Epsilon,
        "sample" or "x" => Prediction.Sample,
        "v_prediction" or "v" => Prediction.V,
        "both" => Prediction.Both,
        _ => throw new ArgumentException($"unknown prediction_type '{name}' (expected epsilon, sample, v_prediction or both)"),
    };
}
