namespace DistillDiff.Export.Onnx;

using DistillDiff.Export.Onnx.Proto;

/// <summary>
/// ONNX graph of the UNet family (unet2d and mobile-unet share their blocks in DistillDiff.Models.Blocks): each
/// method mirrors one block's Forward. Structure is read from the parameter names (levels, resnets per level,
/// attentions, conv_shortcut, depthwise/pointwise convolutions), the rest from <see cref="UNetSpec"/>.
/// </summary>
public sealed class UNetEmitter
{
    private readonly LayerEmitter _l;
    private readonly UNetSpec _s;

    private OnnxGraph G => _l.G;

    public UNetEmitter(LayerEmitter layers, UNetSpec spec)
    {
        _l = layers;
        _s = spec;
    }

    private readonly record struct Feature(string Name, long Channels);

    /// <summary>Emits the whole network; inputs sample [B, C, H, W], timestep [B] (and class_labels), output model_output.</summary>
    public void Emit()
    {
        var w = _l.W;
        G.Input("sample", TensorProto.Types.DataType.Float, [null, _s.InChannels, null, null], ["batch", null, "height", "width"]);
        G.Input("timestep", TensorProto.Types.DataType.Float, [null], ["batch"]);

        // Time embedding: the model's sinusoid, time_embedding.linear_1 / SiLU / linear_2 (TimestepEmbedding's default act).
        var (kinds, freqs) = SinusoidProbe.Probe(_s.Sinusoid);
        var emb = TimestepEmbedding(_l.Sinusoid("timestep", kinds, freqs, "time_proj"), "time_embedding");
        switch (_s.ClassEmbed)
        {
            case "none":
                break;
            case "embedding":
                G.Input("class_labels", TensorProto.Types.DataType.Int64, [null], ["batch"]);
                emb = G.Node("Add", [emb, _l.Embedding("class_labels", "class_embedding")], "class_embedding");
                break;
            case "timestep":
                G.Input("class_labels", TensorProto.Types.DataType.Int64, [null], ["batch"]);
                var labels = G.Node("Cast", ["class_labels"], "class_embedding", Attr.Int("to", (long)TensorProto.Types.DataType.Float));
                emb = G.Node("Add", [emb, TimestepEmbedding(_l.Sinusoid(labels, kinds, freqs, "class_proj"), "class_embedding")], "class_embedding");
                break;
            case "identity":
                var (_, lin2) = w.Get("time_embedding.linear_2.weight");
                G.Input("class_labels", TensorProto.Types.DataType.Float, [null, lin2[0]], ["batch", null]);
                emb = G.Node("Add", [emb, "class_labels"], "class_embedding");
                break;
            default:
                throw new NotSupportedException($"ONNX export: class embedding '{_s.ClassEmbed}'");
        }

        var x = "sample";
        if (_s.CenterInput) x = G.Node("Sub", [G.Node("Mul", [x, G.Scalar("two", 2f)], "center"), G.Scalar("one", 1f)], "center");
        var h = new Feature(_l.Conv(x, "conv_in", padding: 1), Channels("conv_in"));
        var skips = new List<Feature> { h };

        for (var i = 0; w.Has($"down_blocks.{i}.resnets.0.norm1.weight"); i++)
        {
            var p = $"down_blocks.{i}";
            for (var j = 0; w.Has($"{p}.resnets.{j}.norm1.weight"); j++)
            {
                h = Resnet([h], emb, $"{p}.resnets.{j}", 1.0);
                if (w.Has($"{p}.attentions.{j}.to_q.weight")) h = Attention(h, $"{p}.attentions.{j}", _s.Groups, 1.0);
                skips.Add(h);
            }
            if (w.Has($"{p}.downsamplers.0.conv.weight"))
            {
                h = Downsample(h, $"{p}.downsamplers.0.conv");
                skips.Add(h);
            }
        }

        h = Resnet([h], emb, "mid_block.resnets.0", _s.MidScale);
        if (w.Has("mid_block.attentions.0.to_q.weight")) h = Attention(h, "mid_block.attentions.0", _s.MidAttentionGroups, _s.MidScale);
        h = Resnet([h], emb, "mid_block.resnets.1", _s.MidScale);

        for (var i = 0; w.Has($"up_blocks.{i}.resnets.0.norm1.weight"); i++)
        {
            var p = $"up_blocks.{i}";
            for (var j = 0; w.Has($"{p}.resnets.{j}.norm1.weight"); j++)
            {
                var skip = skips[^1];
                skips.RemoveAt(skips.Count - 1);
                h = Resnet([h, skip], emb, $"{p}.resnets.{j}", 1.0);
                if (w.Has($"{p}.attentions.{j}.to_q.weight")) h = Attention(h, $"{p}.attentions.{j}", _s.Groups, 1.0);
            }
            if (w.Has($"{p}.upsamplers.0.conv.weight"))
                h = Upsample(h, $"{p}.upsamplers.0.conv", _s.UpsampleToSkip && skips.Count > 0 ? skips[^1].Name : null);
        }
        if (skips.Count != 0) throw new InvalidOperationException($"ONNX export of {_s.Model}: {skips.Count} skip connections left unused");

        var o = _l.Activation(_l.GroupNorm(h.Name, "conv_norm_out", _s.Groups, _s.Eps), "silu", "conv_act");
        G.Rename(_l.Conv(o, "conv_out", padding: 1), OnnxExporter.OutputName);
        G.Output(OnnxExporter.OutputName, TensorProto.Types.DataType.Float, [null, _s.OutChannels, null, null], ["batch", null, "height", "width"]);
        w.CheckAllUsed(_s.Model);
    }

    private long Channels(string convPrefix) => _l.W.Get(convPrefix + ".weight").Shape[0];

    private string TimestepEmbedding(string x, string prefix) =>
        _l.Linear(_l.Activation(_l.Linear(x, prefix + ".linear_1"), "silu", prefix + ".act"), prefix + ".linear_2");

    /// <summary>A 3 x 3 conv, or depthwise 3 x 3 + pointwise 1 x 1 when the weights are separable.</summary>
    private string Conv3x3(string x, string prefix, long inChannels)
    {
        if (!_l.W.Has(prefix + ".depthwise.weight")) return _l.Conv(x, prefix, padding: 1);
        return _l.Conv(_l.Conv(x, prefix + ".depthwise", padding: 1, groups: inChannels), prefix + ".pointwise");
    }

    private long ConvOut(string prefix) => _l.W.Has(prefix + ".depthwise.weight") ? Channels(prefix + ".pointwise") : Channels(prefix);

    /// <summary>ResnetBlock2D.Forward on the concatenation of <paramref name="parts"/> (one part outside the up path).</summary>
    private Feature Resnet(IReadOnlyList<Feature> parts, string temb, string p, double outputScale)
    {
        var inCh = parts.Sum(f => f.Channels);
        var x = parts.Count == 1 ? parts[0].Name : G.Node("Concat", parts.Select(f => f.Name).ToList(), p, Attr.Int("axis", 1));
        var h = Conv3x3(_l.Activation(_l.GroupNorm(x, p + ".norm1", _s.Groups, _s.Eps), _s.ActFn, p + ".act"), p + ".conv1", inCh);
        var outCh = ConvOut(p + ".conv1");
        var t = _l.Linear(_l.Activation(temb, _s.ActFn, p + ".act"), p + ".time_emb_proj");
        t = G.Node("Unsqueeze", [t, _l.Const(2, 3)], p);
        if (_s.TimeScaleShift == "scale_shift")
        {
            var ss = G.NodeN("Split", [t, _l.Const(outCh, outCh)], 2, p, Attr.Int("axis", 1));
            var scale = G.Node("Add", [ss[0], G.Scalar("one", 1f)], p);
            h = G.Node("Add", [G.Node("Mul", [_l.GroupNorm(h, p + ".norm2", _s.Groups, _s.Eps), scale], p), ss[1]], p);
        }
        else
        {
            h = _l.GroupNorm(G.Node("Add", [h, t], p), p + ".norm2", _s.Groups, _s.Eps);
        }
        h = Conv3x3(_l.Activation(h, _s.ActFn, p + ".act"), p + ".conv2", outCh);

        string skip;
        if (!_l.W.Has(p + ".conv_shortcut.weight")) skip = x;
        else if (parts.Count > 1 && _l.Policy?.SplitConcat == true)
            skip = _l.ConvOverConcat(parts.Select(f => (f.Name, f.Channels)).ToList(), p + ".conv_shortcut");
        else skip = _l.Conv(x, p + ".conv_shortcut");
        var y = G.Node("Add", [skip, h], p);
        if (outputScale != 1.0) y = G.Node("Div", [y, G.Scalar("output_scale_factor", (float)outputScale)], p);
        return new Feature(y, outCh);
    }

    /// <summary>AttentionBlock2D.Forward: pixels as tokens, multi-head softmax(QK^T / sqrt(d)) V, output projection, residual.</summary>
    private Feature Attention(Feature x, string p, int? normGroups, double rescale)
    {
        var c = x.Channels;
        var (_, qShape) = _l.W.Get(p + ".to_q.weight");
        var inner = qShape[0];
        var headDim = _s.HeadDim ?? c;
        var heads = c / headDim;
        if (heads * headDim != inner) throw new InvalidOperationException($"{p}: {inner} projection channels are not {heads} heads of {headDim}");

        var shape = G.Node("Shape", [x.Name], p);
        var batch = G.Node("Slice", [shape, _l.Const(0), _l.Const(1)], p);
        var hw = G.Node("Slice", [shape, _l.Const(2), _l.Const(4)], p);
        var h = normGroups is int g ? _l.GroupNorm(x.Name, p + ".group_norm", g, _s.Eps) : x.Name;
        // [B, C, H, W] -> [B*H*W, C]: rows are the pixels (tokens), so the projections are plain Gemms.
        var tokens = G.Node("Reshape", [G.Node("Transpose", [h], p, Attr.Ints("perm", 0, 2, 3, 1)), _l.Const(-1, c)], p);
        var headShape = G.Node("Concat", [batch, _l.Const(-1, heads, headDim)], p, Attr.Int("axis", 0));
        string Heads(string proj, params long[] perm) =>
            G.Node("Transpose", [G.Node("Reshape", [_l.Linear(tokens, proj), headShape], p)], p, Attr.Ints("perm", perm));
        var q = Heads(p + ".to_q", 0, 2, 1, 3); // [B, heads, L, d]
        var kT = Heads(p + ".to_k", 0, 2, 3, 1); // [B, heads, d, L]
        var v = Heads(p + ".to_v", 0, 2, 1, 3);
        var scores = G.Node("Mul", [G.Node("MatMul", [q, kT], p), G.Scalar("attn_scale", (float)(1 / Math.Sqrt(headDim)))], p);
        var o = G.Node("MatMul", [G.Node("Softmax", [scores], p, Attr.Int("axis", -1)), v], p);
        o = G.Node("Reshape", [G.Node("Transpose", [o], p, Attr.Ints("perm", 0, 2, 1, 3)), _l.Const(-1, inner)], p);
        o = _l.Linear(o, p + ".to_out.0");
        var nhwc = G.Node("Concat", [batch, hw, _l.Const(c)], p, Attr.Int("axis", 0));
        o = G.Node("Transpose", [G.Node("Reshape", [o, nhwc], p)], p, Attr.Ints("perm", 0, 3, 1, 2));
        var y = G.Node("Add", [o, x.Name], p);
        if (rescale != 1.0) y = G.Node("Div", [y, G.Scalar("rescale_output_factor", (float)rescale)], p);
        return new Feature(y, c);
    }

    /// <summary>Downsample2D: stride-2 3 x 3 conv; padding 0 pads bottom and right by one first.</summary>
    private Feature Downsample(Feature x, string conv)
    {
        var input = x.Name;
        var pad = _s.DownsamplePadding;
        if (pad == 0) input = G.Node("Pad", [input, _l.Const(0, 0, 0, 0, 0, 0, 1, 1)], conv, Attr.String("mode", "constant"));
        return new Feature(_l.Conv(input, conv, stride: 2, padding: pad), Channels(conv));
    }

    /// <summary>Upsample2D: nearest (PyTorch's floor(dst * in / out) source index) to twice the size or to a skip's size, then a 3 x 3 conv.</summary>
    private Feature Upsample(Feature x, string conv, string? sizeLike)
    {
        var attrs = new[]
        {
            Attr.String("mode", "nearest"), Attr.String("coordinate_transformation_mode", "asymmetric"), Attr.String("nearest_mode", "floor"),
        };
        string up;
        if (sizeLike is null)
        {
            up = G.Node("Resize", [x.Name, "", G.Floats("upsample_scales", [1f, 1f, 2f, 2f], 4)], conv, attrs);
        }
        else
        {
            var nc = G.Node("Slice", [G.Node("Shape", [x.Name], conv), _l.Const(0), _l.Const(2)], conv);
            var hw = G.Node("Slice", [G.Node("Shape", [sizeLike], conv), _l.Const(2), _l.Const(4)], conv);
            up = G.Node("Resize", [x.Name, "", "", G.Node("Concat", [nc, hw], conv, Attr.Int("axis", 0))], conv, attrs);
        }
        return new Feature(_l.Conv(up, conv, padding: 1), Channels(conv));
    }
}
