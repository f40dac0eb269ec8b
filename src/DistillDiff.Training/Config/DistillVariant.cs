namespace DistillDiff.Training.Config;

public enum DistillVariant
{
    /// <summary>Salimans &amp; Ho 2022: any parameterisation, truncated-SNR weighted L2 by default.</summary>
    SalimansHo,
    /// <summary>ProDiff (Huang et al. 2022): x0 ("sample") prediction, L1 loss, constant weighting.</summary>
    ProDiff,
}
