namespace DistillDiff.Training.Losses;

/// <summary>
/// c(t) on ADD's distillation term ||x_student - sg(x_teacher)||^2 (Sauer et al. 2023, sec. 3.2 and appendix):
/// uniform c = 1; exponential c = alpha_t; sds c = alpha_t / (2 sigma_t) w(t) with DreamFusion's w(t) = sigma_t^2,
/// i.e. alpha_t sigma_t / 2.
/// </summary>
public enum DistillationWeighting
{
    Uniform,
    Exponential,
    Sds,
}
