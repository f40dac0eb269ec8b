namespace DistillDiff.Training.Checkpoints;

using DistillDiff.Formats.Safetensors;
using DistillDiff.Training.Loop;

/// <summary>
/// Reads a whole checkpoint folder before a resume trusts it: trainer.json parses, the weight files a phase in
/// progress needs are there, and every safetensors file is well formed with matching checksums. A truncated or
/// bit-flipped file is found here, not halfway through loading.
/// </summary>
public static class CheckpointVerifier
{
    /// <summary>Null when the checkpoint in <paramref name="dir"/> is intact; otherwise what is wrong with it.</summary>
    public static string? Problem(string dir)
    {
        TrainerState state;
        try
        {
            state = TrainerState.Load(dir);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
        if (!state.CompletedPhases.Contains(state.Phase))
        {
            // A phase in progress saved each trained module as <name>.safetensors with <name>.optimizer.safetensors.
            var optimizers = Directory.GetFiles(dir, "*.optimizer.safetensors");
            if (optimizers.Length == 0)
                return $"phase {state.Phase} is in progress but no *.optimizer.safetensors is there";
            foreach (var optimizer in optimizers)
            {
                var module = optimizer[..^".optimizer.safetensors".Length] + ".safetensors";
                if (!File.Exists(module))
                    return $"{Path.GetFileName(module)} is missing";
            }
        }
        foreach (var path in Directory.GetFiles(dir, "*.safetensors").Order(StringComparer.Ordinal))
        {
            try
            {
                using var file = SafetensorsFile.Open(path);
                SafetensorsChecksums.Verify(file);
            }
            catch (Exception e) when (e is SafetensorsFormatException or IOException or UnauthorizedAccessException)
            {
                return e.Message;
            }
        }
        return null;
    }
}
