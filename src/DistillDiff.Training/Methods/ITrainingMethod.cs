namespace DistillDiff.Training.Methods;

using DistillDiff.Training.Loop;

/// <summary>
/// A training method for one phase (FastGen's shape): it owns its networks, names the modules it trains with their
/// optimizer settings, says which of them step at iteration i, and computes one iteration's named losses. Frozen
/// networks (a teacher, a feature network) are its own business: the loop neither steps nor saves them.
/// </summary>
public interface ITrainingMethod : IDisposable
{
    /// <summary>The trained modules, each with its own optimizer, LR schedule, clipping and EMA; checkpointed by name.</summary>
    IReadOnlyList<TrainedModule> Trained { get; }

    /// <summary>The trained module published as the phase's model folder (its EMA weights when it has an EMA).</summary>
    string Published { get; }

    /// <summary>Whether module <paramref name="name"/>'s optimizer steps at iteration <paramref name="step"/> (0-based).</summary>
    bool IsActive(string name, long step);

    StepLosses Step(StepContext context);
}
