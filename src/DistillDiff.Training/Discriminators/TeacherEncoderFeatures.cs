namespace DistillDiff.Training.Discriminators;

using DistillDiff.Diffusion.Schedules;
using DistillDiff.Engine;
using DistillDiff.Models;

/// <summary>
/// LADD's feature network (Sauer et al. 2024): the frozen teacher's own encoder, fed the sample noised to a fixed
/// level t, z_t = alpha_t x + sigma_t eps. Needs no outside network. The teacher is held, not owned or saved.
/// </summary>
public sealed class TeacherEncoderFeatures(DenoiserBackbone teacher, NoiseSchedule schedule, double t) : FeatureNetwork
{
    public override IReadOnlyList<Tensor> Forward(Tensor x, Tensor? labels, Func<long[], Tensor>? noise)
    {
        using var scope = Torch.NewDisposeScope();
        var b = x.Size(0);
        var times = Torch.Full([b], t, x.DType, x.Device);
        var eps = noise is null ? Torch.ZerosLike(x) : noise(x.Shape);
        if (eps.DType != x.DType) eps = eps.To(x.DType);
        var z = schedule.AddNoise(x, eps, times);
        // The backbone's timestep input is t * N - 1 (DenoiserBackbone's convention).
        var features = teacher.EncoderFeatures(z, times * schedule.NumTrainTimesteps - 1.0, labels);
        foreach (var f in features) scope.MoveOut(f);
        return features;
    }
}
