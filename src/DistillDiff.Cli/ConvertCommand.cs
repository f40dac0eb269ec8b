namespace DistillDiff.Cli;

using System.CommandLine;
using DistillDiff.Models.Checkpoints;

/// <summary>`distilldiff convert`: a PyTorch checkpoint (.pt, .pth, .bin, .ckpt; read weights-only) into a safetensors
/// model folder in diffusers' layout.</summary>
public static class ConvertCommand
{
    /// <param name="guard">The CLI's error handling (one `error:` line and exit code 1 for a user's mistake).</param>
    public static Command Create(Func<Action, int> guard)
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "a PyTorch checkpoint: .pt, .pth, .bin or .ckpt (zip or legacy format)" };
        var output = new Option<string>("--out") { Description = "the model folder to write", Required = true };
        var key = new Option<string?>("--key") { Description = "which nested state dict: state_dict, ema, model, or a path like model/ema (default: the only one)" };
        var config = new Option<string?>("--config") { Description = "config.json of the model (e.g. diffusers' UNet2DModel config); the folder is then load-checked" };
        var strip = new Option<string?>("--strip-prefix") { Description = "remove this prefix from tensor names (e.g. module.)" };
        var overwrite = new Option<bool>("--overwrite") { Description = "replace an existing folder" };
        var cmd = new Command("convert", "convert a PyTorch checkpoint into a safetensors model folder") { checkpoint, output, key, config, strip, overwrite };
        cmd.SetAction(p => guard(() => Console.WriteLine(PyTorchImport.Convert(p.GetValue(checkpoint)!, p.GetValue(output)!, p.GetValue(key),
            p.GetValue(config), p.GetValue(strip), p.GetValue(overwrite)))));
        return cmd;
    }
}
