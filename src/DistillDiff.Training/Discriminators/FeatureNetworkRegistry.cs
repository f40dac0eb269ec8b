namespace DistillDiff.Training.Discriminators;

using DistillDiff.Diffusion.Schedules;
using DistillDiff.Models;

/// <summary>
/// Discriminator feature networks by name (distill.feature_network): teacher_encoder (the frozen teacher's encoder at
/// a noise level, LADD's choice: no outside network), cnn (a small trainable CNN, images), mlp (a small trainable MLP,
/// vector data such as the 2-D toys).
/// </summary>
public static class FeatureNetworkRegistry
{
    private static readonly (string Name, Func<DenoiserBackbone, NoiseSchedule, double, long[], FeatureNetwork> Create)[] Entries =
    [
        ("teacher_encoder", (teacher, schedule, t, _) => new TeacherEncoderFeatures(teacher, schedule, t)),
        ("cnn", (_, _, _, shape) => shape.Length == 3
            ? new CnnFeatures((int)shape[0])
            : throw new ArgumentException($"feature network 'cnn' needs images [C, H, W], the data's samples are [{string.Join(", ", shape)}] (use mlp)")),
        ("mlp", (_, _, _, shape) => shape.Length == 1
            ? new MlpFeatures((int)shape[0])
            : throw new ArgumentException($"feature network 'mlp' needs vector samples [D], the data's samples are [{string.Join(", ", shape)}] (use cnn or teacher_encoder)")),
    ];

    public static IReadOnlyList<string> Names { get; } = Entries.Select(e => e.Name).ToArray();

    /// <param name="teacher">The frozen teacher (used by teacher_encoder only).</param>
    /// <param name="t">Noise level of teacher_encoder's input.</param>
    /// <param name="sampleShape">One sample's shape, without the batch dimension.</param>
    public static FeatureNetwork Create(string name, DenoiserBackbone teacher, NoiseSchedule schedule, double t, long[] sampleShape)
    {
        foreach (var e in Entries)
            if (e.Name == name) return e.Create(teacher, schedule, t, sampleShape);
        throw new ArgumentException($"unknown feature network '{name}' (known: {string.Join(", ", Names)})");
    }
}
