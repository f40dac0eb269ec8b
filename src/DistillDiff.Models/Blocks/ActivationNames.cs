namespace DistillDiff.Models.Blocks;

using DistillDiff.Engine.Nn;

/// <summary>Checks an act_fn name up front, so a bad config fails while validating rather than deep inside a constructor.</summary>
internal static class ActivationNames
{
    public static bool IsKnown(string name)
    {
        try
        {
            using var _ = new Activation(name);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
