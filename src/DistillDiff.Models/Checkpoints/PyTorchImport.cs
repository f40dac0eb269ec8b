namespace DistillDiff.Models.Checkpoints;

using DistillDiff.Formats.PyTorch;
using DistillDiff.Formats.Safetensors;

/// <summary>
/// `distilldiff convert`: a PyTorch checkpoint (a teacher trained in PyTorch/diffusers) into a model folder in
/// diffusers' layout: diffusion_pytorch_model.safetensors with the state dict's names and dtypes, plus the given
/// config.json. With a config the folder is loaded once, strictly, before it is published, so a name or shape that
/// does not fit the model is reported (every one, with the folder) instead of written.
/// </summary>
public static class PyTorchImport
{
    /// <param name="key">Which nested state dict ("state_dict", "ema", "model/ema"); null finds the only one.</param>
    /// <param name="configPath">A config.json for the folder (e.g. diffusers' UNet2DModel config), or null for weights only.</param>
    /// <param name="stripPrefix">Removed from the names that start with it (e.g. "module." of DataParallel, "model.").</param>
    /// <returns>A one-line summary.</returns>
    public static string Convert(string checkpoint, string outDir, string? key = null, string? configPath = null,
        string? stripPrefix = null, bool overwrite = false)
    {
        if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any() && !overwrite)
            throw new IOException($"{outDir} exists and is not empty (use --overwrite to replace it)");
        if (configPath is not null && !File.Exists(configPath)) throw new FileNotFoundException($"{configPath}: no such config.json", configPath);
        var stateDict = PyTorchCheckpoint.ReadStateDict(checkpoint, key);
        if (!string.IsNullOrEmpty(stripPrefix))
            stateDict = stateDict.Select(p => new KeyValuePair<string, PyTorchTensor>(p.Key.StartsWith(stripPrefix, StringComparison.Ordinal) ? p.Key[stripPrefix.Length..] : p.Key, p.Value)).ToList();
        var duplicate = stateDict.GroupBy(p => p.Key).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidDataException($"{checkpoint}: two tensors named '{duplicate.Key}' after removing '{stripPrefix}'");

        var tmp = outDir.TrimEnd('/', '\\') + ".tmp";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        Directory.CreateDirectory(tmp);
        try
        {
            SafetensorsWriter.Write(Path.Combine(tmp, ModelFolder.WeightsFile), PyTorchCheckpoint.ToSafetensors(stateDict),
                new Dictionary<string, string> { ["format"] = "pt" });
            string? className = null;
            if (configPath is not null)
            {
                File.Copy(configPath, Path.Combine(tmp, ModelFolder.ConfigFile));
                var (model, _) = ModelFolder.Load(tmp);
                className = model.GetType().Name;
                model.Dispose();
            }
            if (Directory.Exists(outDir)) Directory.Delete(outDir, true);
            Directory.Move(tmp, outDir);
            var elements = stateDict.Sum(p => p.Value.NumEl);
            var dtypes = string.Join("/", stateDict.Select(p => p.Value.DType).Distinct());
            return $"{stateDict.Count} tensors ({elements:N0} elements, {dtypes}) from {checkpoint} -> {outDir}" +
                   (className is null ? $" (weights only: add a {ModelFolder.ConfigFile} to sample it)" : $", loads as {className}");
        }
        catch
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
            throw;
        }
    }
}
