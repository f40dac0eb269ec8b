namespace DistillDiff.Export.Quantization;

/// <summary>How a quantization range is chosen from the values it must cover.</summary>
public enum RangeMethod
{
    /// <summary>The observed minimum and maximum (naive PTQ: one outlier stretches every step).</summary>
    MinMax,

    /// <summary>The 0.01% and 99.99% quantiles (activations); weights fall back to min-max.</summary>
    Percentile,

    /// <summary>The clipping of the min-max range (ratios 1.00, 0.99, ..., 0.30) with the least squared quantization error.</summary>
    Mse,
}
