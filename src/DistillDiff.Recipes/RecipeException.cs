namespace DistillDiff.Recipes;

/// <summary>A recipe the user wrote cannot be loaded or bound; the message is meant to be shown as is.</summary>
public sealed class RecipeException : Exception
{
    public RecipeException(string message, string? key = null, string? file = null, Exception? inner = null)
        : base(message, inner)
    {
        Key = key;
        File = file;
    }

    /// <summary>Dotted key path the error is about (e.g. <c>train.lr</c>), when it is about one.</summary>
    public string? Key { get; }

    /// <summary>File that gave the offending value, as shown to the user, or <c>--set key=value</c>.</summary>
    public string? File { get; }
}
