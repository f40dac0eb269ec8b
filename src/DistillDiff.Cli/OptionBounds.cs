namespace DistillDiff.Cli;

using System.Globalization;

/// <summary>
/// Ranges of numeric command-line options, checked before anything is loaded or allocated. Upper bounds keep a
/// typo (an extra zero, a negative number read as huge) from allocating until the kernel kills the process.
/// </summary>
public static class OptionBounds
{
    /// <summary>Samples per `sample` call: 4,096 28x28 images are 12 MiB per tensor; more is a different job.</summary>
    public const int MaxSampleCount = 4096;

    /// <summary>Sampling steps: DDPM uses 1,000; ten times that is already far past any quality gain.</summary>
    public const int MaxSampleSteps = 10_000;

    public static int Check(string option, int value, int min, int max) =>
        value >= min && value <= max
            ? value
            : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{option} must be between {min} and {max}, got {value}"));
}
