namespace DistillDiff.Training.Checkpoints;

using DistillDiff.Formats.Safetensors;
using DistillDiff.Training.Trainers;

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
        var needed = new List<string>();
        if (!state.CompletedPhases.Contains(state.Phase))
        {
            needed.Add("model.safetensors");
            needed.Add("optimizer.safetensors");
            if (state.HasEma) needed.Add("ema.safetensors");
        }
        foreach (var file in needed)
        {
            if (!File.Exists(Path.Combine(dir, file)))
                return $"{file} is missing";
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
