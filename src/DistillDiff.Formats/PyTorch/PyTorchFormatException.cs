namespace DistillDiff.Formats.PyTorch;

/// <summary>A PyTorch checkpoint that cannot be read as weights: not a pickle, a global or opcode weights-only loading
/// does not allow, a storage that is missing or too short. The message names the file and what was wrong (an IOException,
/// as InvalidDataException is sealed).</summary>
public sealed class PyTorchFormatException(string message) : IOException(message);
