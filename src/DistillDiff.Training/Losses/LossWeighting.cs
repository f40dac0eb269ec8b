namespace DistillDiff.Training.Losses;

/// <summary>
/// Weight w(t) on the x-space error ||x_hat - x||^2 (Salimans &amp; Ho 2022, sec. 4): constant; snr = alpha^2/sigma^2
/// (equals plain epsilon-MSE); snr_trunc = max(snr, 1) ("truncated SNR", the paper's choice for distillation);
/// v_mse = 1 + snr (equals v-MSE, "SNR+1").
/// </summary>
public enum LossWeighting
{
    Constant,
    Snr,
    SnrTrunc,
    VMse,
}
