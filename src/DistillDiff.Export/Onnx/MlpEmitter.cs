namespace DistillDiff.Export.Onnx;

using DistillDiff.Export.Onnx.Proto;
using DistillDiff.Models.Blocks;
using DistillDiff.Models.Mlp;

/// <summary>ONNX graph of <see cref="MlpDenoiser"/>: its Forward, block by block.</summary>
public static class MlpEmitter
{
    public static void Emit(LayerEmitter l, MlpDenoiserConfig c)
    {
        var g = l.G;
        g.Input("sample", TensorProto.Types.DataType.Float, [null, c.DataDim], ["batch", null]);
        g.Input("timestep", TensorProto.Types.DataType.Float, [null], ["batch"]);
        var (kinds, freqs) = SinusoidProbe.Probe(t => TimestepEncoding.Sinusoidal(t, c.TimeEmbedDim, flipSinToCos: true, downscaleFreqShift: 0));
        var sin = l.Sinusoid("timestep", kinds, freqs, "time_proj");
        var emb = l.Linear(l.Activation(l.Linear(sin, "time_embedding.linear_1"), "silu", "time_embedding.act"), "time_embedding.linear_2");
        if (c.NumClassEmbeds is not null)
        {
            g.Input("class_labels", TensorProto.Types.DataType.Int64, [null], ["batch"]);
            emb = g.Node("Add", [emb, l.Embedding("class_labels", "class_embedding")], "class_embedding");
        }
        var layerNorm = c.Norm == "layer_norm";
        var h = l.Linear("sample", "input_proj");
        var tembAct = l.Activation(emb, "silu", "blocks.act");
        for (var i = 0; i < c.Blocks; i++)
        {
            var p = $"blocks.{i}";
            // x + linear(silu(norm(x) + time_emb_proj(silu(temb)))), ResidualMlpBlock.Forward
            var n = layerNorm ? l.LayerNorm(h, p + ".norm") : h;
            var a = g.Node("Add", [n, l.Linear(tembAct, p + ".time_emb_proj")], p);
            h = g.Node("Add", [h, l.Linear(l.Activation(a, "silu", p), p + ".linear")], p);
        }
        if (layerNorm) h = l.LayerNorm(h, "norm_out");
        g.Rename(l.Linear(l.Activation(h, "silu", "output"), "output_proj"), OnnxExporter.OutputName);
        g.Output(OnnxExporter.OutputName, TensorProto.Types.DataType.Float, [null, c.ResolvedOutDim()], ["batch", null]);
        l.W.CheckAllUsed(nameof(MlpDenoiser));
    }
}
