namespace DistillDiff.Models.Checkpoints;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;
using DistillDiff.Engine.Serialization;

/// <summary>
/// A model as diffusers lays it out: a folder with config.json ("_class_name" says which model) and
/// diffusion_pytorch_model.safetensors (the state dict under its dotted names). unet2d folders are
/// interchangeable with diffusers' UNet2DModel.save_pretrained / from_pretrained.
/// </summary>
public static class ModelFolder
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "diffusion_pytorch_model.safetensors";

    /// <summary>Writes the weights, then the config (each file atomically), creating the folder when needed.</summary>
    /// <param name="modelName">Registry name of the model ("unet2d"); its registration supplies the _class_name.</param>
    public static void Save(string dir, DenoiserBackbone model, object config, string modelName)
    {
        var entry = ModelRegistry.Get(modelName);
        if (!entry.ConfigType.IsInstanceOfType(config))
            throw new ArgumentException($"model '{modelName}' takes a {entry.ConfigType.Name}, not a {config.GetType().Name}", nameof(config));
        Directory.CreateDirectory(dir);
        StateDictFile.Save(Path.Combine(dir, WeightsFile), model.StateDict());
        ModelConfigJson.Write(Path.Combine(dir, ConfigFile), config, entry.ClassName);
    }

    /// <summary>
    /// Builds the model named by config.json's _class_name and loads the weights strictly: a missing, unexpected
    /// or misshapen tensor fails with every such name and the folder. Older diffusers attention names
    /// (query/key/value/proj_attn) are accepted. The model ends on <paramref name="device"/> (default CPU).
    /// </summary>
    public static (DenoiserBackbone Model, object Config) Load(string dir, Device? device = null)
    {
        var configPath = Path.Combine(dir, ConfigFile);
        var weightsPath = Path.Combine(dir, WeightsFile);
        if (!File.Exists(configPath)) throw new ModelConfigException(dir, null, $"not a model folder: {ConfigFile} is missing");
        if (!File.Exists(weightsPath)) throw new ModelConfigException(dir, null, $"not a model folder: {WeightsFile} is missing");

        var className = ModelConfigJson.ReadClassName(configPath);
        ModelRegistration entry;
        try
        {
            entry = ModelRegistry.ForClassName(className);
        }
        catch (ArgumentException e)
        {
            throw new ModelConfigException(configPath, "_class_name", e.Message, e);
        }
        var config = ModelConfigJson.Read(configPath, entry.ConfigType);
        var model = entry.Factory(config);
        try
        {
            var stored = StateDictFile.Load(weightsPath);
            try
            {
                var upgraded = entry.UpgradeStateDict?.Invoke(stored) ?? stored;
                model.LoadStateDict(upgraded, strict: true);
            }
            finally
            {
                StateDictFile.DisposeAll(stored);
            }
            if (device is Device d && d != Device.CPU) model.To(d);
            return (model, config);
        }
        catch (StateDictMismatchException e)
        {
            model.Dispose();
            throw new StateDictMismatchException($"{entry.ClassName} from {dir}", e.Result);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
