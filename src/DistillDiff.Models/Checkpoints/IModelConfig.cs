namespace DistillDiff.Models.Checkpoints;

using System.Text.Json.Nodes;

/// <summary>What <see cref="ModelConfigJson"/> asks of a config record after reading it.</summary>
internal interface IModelConfig
{
    /// <summary>Throws an ArgumentException naming the key when the config cannot build a network.</summary>
    void Validate();

    /// <summary>
    /// Looks at keys the record does not model (they are otherwise ignored) and throws an ArgumentException when
    /// one asks for something this implementation would silently build differently.
    /// </summary>
    void CheckUnmodelledKeys(JsonObject raw)
    {
    }
}
