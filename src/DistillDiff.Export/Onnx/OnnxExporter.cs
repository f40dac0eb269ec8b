namespace DistillDiff.Export.Onnx;

using DistillDiff.Export.Onnx.Proto;
using DistillDiff.Models;
using DistillDiff.Models.Blocks;
using DistillDiff.Models.Mlp;
using DistillDiff.Models.Mobile;
using DistillDiff.Models.UNet2D;
using Google.Protobuf;

/// <summary>
/// A denoiser backbone of the zoo (unet2d, mobile-unet, mlp) as an ONNX model (opset 17, dynamic batch): inputs
/// sample [B, ...], timestep [B] float on the network scale (t * N - 1, see DenoiserBackbone), class_labels [B] int64
/// when class-conditional; output model_output, what the backbone returns (its meaning is in the sampler JSON).
/// </summary>
public static class OnnxExporter
{
    public const string OutputName = "model_output";

    /// <param name="policy">null for the float export; a calibration or quantization policy otherwise.</param>
    public static ModelProto Export(DenoiserBackbone model, IQuantPolicy? policy = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var name = model switch
        {
            UNet2DModel => "unet2d",
            MobileUNet => "mobile-unet",
            MlpDenoiser => "mlp",
            _ => throw new NotSupportedException($"ONNX export: no exporter for {model.GetType().Name} (known: unet2d, mobile-unet, mlp)"),
        };
        var graph = new OnnxGraph(name);
        var layers = new LayerEmitter(graph, new WeightSource(model), policy);
        switch (model)
        {
            case UNet2DModel u:
                new UNetEmitter(layers, Spec(u.Config)).Emit();
                break;
            case MobileUNet m:
                new UNetEmitter(layers, Spec(m.Config)).Emit();
                break;
            case MlpDenoiser mlp:
                MlpEmitter.Emit(layers, mlp.Config);
                break;
        }
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { ["distilldiff.model"] = name };
        return graph.ToModel(meta);
    }

    /// <summary>Writes the model's protobuf bytes.</summary>
    public static void Save(ModelProto model, string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        using var f = File.Create(path);
        model.WriteTo(f);
    }

    private static UNetSpec Spec(UNet2DConfig c) => new(
        "unet2d", c.InChannels, c.OutChannels, c.NormNumGroups, c.NormEps, c.ActFn, c.ResnetTimeScaleShift, c.MidBlockScaleFactor,
        c.AttentionHeadDim,
        // diffusers gives the middle attention no GroupNorm under scale_shift (as UNet2DModel's constructor).
        c.ResnetTimeScaleShift == "default" ? c.NormNumGroups : null,
        c.DownsamplePadding, UpsampleToSkip: false, c.CenterInputSample,
        c.ClassEmbedType ?? (c.NumClassEmbeds is null ? "none" : "embedding"),
        t => TimestepEncoding.Sinusoidal(t, c.BlockOutChannels[0], c.FlipSinToCos, c.FreqShift));

    private static UNetSpec Spec(MobileUNetConfig c) => new(
        "mobile-unet", c.InChannels, c.OutChannels, c.NormNumGroups, c.NormEps, c.ActFn, "default", 1.0,
        c.AttentionHeadDim, c.NormNumGroups, DownsamplePadding: 1, UpsampleToSkip: true, CenterInput: false,
        c.NumClassEmbeds is null ? "none" : "embedding",
        t => TimestepEncoding.Sinusoidal(t, c.BlockOutChannels[0], c.FlipSinToCos, c.FreqShift));
}
