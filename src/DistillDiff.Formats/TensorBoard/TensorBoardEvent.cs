namespace DistillDiff.Formats.TensorBoard;

/// <summary>One decoded Event record; <see cref="Offset"/> is where its record starts in the file.</summary>
public sealed record TensorBoardEvent(long Offset, double WallTime, long Step, string? FileVersion, IReadOnlyList<TensorBoardValue> Values);
