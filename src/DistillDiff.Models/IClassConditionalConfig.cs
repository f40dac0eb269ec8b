namespace DistillDiff.Models;

/// <summary>A model options record that may ask for class labels: trainers pass labels only when it does.</summary>
public interface IClassConditionalConfig
{
    /// <summary>Number of class embeddings (labels 0..n-1), or null for an unconditional model.</summary>
    int? NumClassEmbeds { get; }
}
