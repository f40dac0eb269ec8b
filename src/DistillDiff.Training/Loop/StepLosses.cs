namespace DistillDiff.Training.Loop;

using DistillDiff.Engine;

/// <summary>
/// One iteration's result: <see cref="Total"/> is differentiated (its gradients step the active optimizers), and each
/// entry of <see cref="Logged"/> (a 0-d tensor) is averaged over the iterations it appeared in and logged by name.
/// </summary>
public sealed record StepLosses(Tensor Total, IReadOnlyDictionary<string, Tensor> Logged)
{
    /// <summary>A single loss, logged as "loss".</summary>
    public static StepLosses Single(Tensor loss) => new(loss, new Dictionary<string, Tensor> { ["loss"] = loss });
}
