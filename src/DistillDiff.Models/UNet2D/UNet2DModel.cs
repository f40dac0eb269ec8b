namespace DistillDiff.Models.UNet2D;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;
using DistillDiff.Models.Blocks;
using DistillDiff.Models.Profiling;

/// <summary>
/// diffusers UNet2DModel (the DDPM / ADM-style pixel UNet) with the same parameter names, so diffusers
/// checkpoints (google/ddpm-cifar10-32, ...) load unchanged and ours load in diffusers. Forward follows
/// UNet2DModel.forward: optional centering, sinusoidal time embedding (+ class embedding), conv_in, down levels
/// keeping skips, middle block, up levels consuming them, GroupNorm-SiLU-conv head.
/// </summary>
public sealed class UNet2DModel : DenoiserBackbone
{
    private readonly Conv2d _convIn, _convOut;
    private readonly TimestepEmbedding _timeEmbedding;
    private readonly Layer? _classEmbedding;
    private readonly ModuleList<DownBlock2D> _downBlocks;
    private readonly UNetMidBlock2D _midBlock;
    private readonly ModuleList<UpBlock2D> _upBlocks;
    private readonly GroupNorm _convNormOut;
    private readonly Activation _convAct;

    public UNet2DModel(UNet2DConfig config)
    {
        config.Validate();
        Config = config;
        var ch = config.BlockOutChannels;
        var c0 = ch[0];
        var tembDim = config.TimeEmbedDim();
        var levels = ch.Count;

        _convIn = RegisterModule("conv_in", new Conv2d(config.InChannels, c0, 3, padding: 1));
        _timeEmbedding = RegisterModule("time_embedding", new TimestepEmbedding(c0, tembDim));
        if (config.ClassEmbedType == "timestep")
            _classEmbedding = RegisterModule("class_embedding", new TimestepEmbedding(c0, tembDim));
        else if (config.ClassEmbedType is null && config.NumClassEmbeds is int n)
            _classEmbedding = RegisterModule("class_embedding", new Embedding(n, tembDim));

        var resnet = new ResnetSettings(tembDim, config.NormNumGroups, config.NormEps, config.ActFn, config.Dropout, config.ResnetTimeScaleShift);
        var attention = new AttentionSettings(config.AttentionHeadDim, config.NormNumGroups, config.NormEps);

        _downBlocks = RegisterModule("down_blocks", new ModuleList<DownBlock2D>());
        var outCh = c0;
        for (var i = 0; i < levels; i++)
        {
            var inCh = outCh;
            outCh = ch[i];
            var attn = config.DownBlockTypes[i] == "AttnDownBlock2D";
            _downBlocks.Add(new DownBlock2D(inCh, outCh, config.LayersPerBlock, resnet, attn ? attention : null,
                addDownsample: i < levels - 1, config.DownsamplePadding));
        }

        // diffusers gives the middle attention no GroupNorm under scale_shift (attn_groups = None there).
        var midResnet = resnet with { OutputScaleFactor = config.MidBlockScaleFactor };
        var midAttention = config.AddAttention
            ? new AttentionSettings(config.AttentionHeadDim, config.ResnetTimeScaleShift == "default" ? config.NormNumGroups : null,
                config.NormEps, config.MidBlockScaleFactor)
            : null;
        _midBlock = RegisterModule("mid_block", new UNetMidBlock2D(ch[^1], midResnet, midAttention));

        _upBlocks = RegisterModule("up_blocks", new ModuleList<UpBlock2D>());
        var reversed = ch.Reverse().ToArray();
        outCh = reversed[0];
        for (var i = 0; i < levels; i++)
        {
            var prevOutCh = outCh;
            outCh = reversed[i];
            var inCh = reversed[Math.Min(i + 1, levels - 1)];
            var attn = config.UpBlockTypes[i] == "AttnUpBlock2D";
            _upBlocks.Add(new UpBlock2D(inCh, prevOutCh, outCh, config.LayersPerBlock + 1, resnet, attn ? attention : null,
                addUpsample: i < levels - 1));
        }

        _convNormOut = RegisterModule("conv_norm_out", new GroupNorm(config.NormNumGroups, c0, config.NormEps));
        _convAct = RegisterModule("conv_act", new Activation("silu"));
        _convOut = RegisterModule("conv_out", new Conv2d(c0, config.OutChannels, 3, padding: 1));
    }

    public UNet2DConfig Config { get; }

    public override int SampleChannels => Config.InChannels;

    public override int OutChannels => Config.OutChannels;

    /// <param name="sample">[B, in_channels, H, W], H and W divisible by 2^(levels - 1).</param>
    /// <param name="timestep">[B], [1] or scalar timesteps on the network scale (0..num_train_timesteps - 1).</param>
    /// <param name="classLabels">[B] int64 labels (num_class_embeds or class_embed_type timestep), [B, 4 C0] vectors
    /// (class_embed_type identity), or null for an unconditional model.</param>
    public override Tensor Forward(Tensor sample, Tensor timestep, Tensor? classLabels = null)
    {
        using var scope = Torch.NewDisposeScope();
        var (h, emb, skips) = Encode(sample, timestep, classLabels);

        // 5. up (skips consumed newest first)
        foreach (var block in _upBlocks) h = block.Forward(h, skips, emb);

        // 6. post-process
        h = _convOut.Counted(_convAct.Forward(_convNormOut.Forward(h)));
        return scope.MoveOut(h);
    }

    /// <summary>Each down block's output and the mid block's, [B, C_l, H_l, W_l], shallow to deep.</summary>
    public override IReadOnlyList<Tensor> EncoderFeatures(Tensor sample, Tensor timestep, Tensor? classLabels = null)
    {
        using var scope = Torch.NewDisposeScope();
        var features = new List<Tensor>();
        var (h, _, _) = Encode(sample, timestep, classLabels, features);
        features.Add(h);
        foreach (var f in features) scope.MoveOut(f);
        return features;
    }

    /// <summary>Steps 0-4 of the forward pass: embeddings, conv_in, down blocks (outputs kept as skips), mid block.</summary>
    private (Tensor H, Tensor Emb, List<Tensor> Skips) Encode(Tensor sample, Tensor timestep, Tensor? classLabels, List<Tensor>? features = null)
    {
        CheckSample(sample);
        var batch = sample.Size(0);
        var dtype = _convIn.Weight.DType;

        // 0. center input
        if (Config.CenterInputSample) sample = sample * 2 - 1.0;

        // 1. time (+ class) embedding; sinusoids in float32, then the model's dtype, as diffusers
        var c0 = Config.BlockOutChannels[0];
        var t = TimestepEncoding.ToBatch(timestep, batch, sample.Device);
        var emb = _timeEmbedding.Forward(Sinusoid(t, c0).To(dtype));
        emb = AddClassEmbedding(emb, classLabels, batch, dtype);

        // 2. pre-process, 3. down (every output kept as a skip), 4. mid
        var h = _convIn.Counted(sample);
        var skips = new List<Tensor> { h };
        foreach (var block in _downBlocks)
        {
            h = block.Forward(h, emb, skips);
            features?.Add(h);
        }
        h = _midBlock.Forward(h, emb);
        return (h, emb, skips);
    }

    private Tensor Sinusoid(Tensor t, int dim) => TimestepEncoding.Sinusoidal(t, dim, Config.FlipSinToCos, Config.FreqShift);

    private Tensor AddClassEmbedding(Tensor emb, Tensor? classLabels, long batch, DType dtype)
    {
        var conditional = _classEmbedding != null || Config.ClassEmbedType == "identity";
        if (!conditional)
        {
            if (classLabels != null)
                throw new ArgumentException("class labels were given to an unconditional UNet2DModel (set num_class_embeds or class_embed_type)");
            return emb;
        }
        if (classLabels is null)
            throw new ArgumentException(
                "this UNet2DModel is class-conditional: pass class labels (for unconditional calls reserve a label, e.g. num_class_embeds = classes + 1)");
        if (classLabels.Size(0) != batch)
            throw new ArgumentException($"{classLabels.Size(0)} class labels for a batch of {batch}");
        var classEmb = Config.ClassEmbedType switch
        {
            "timestep" => _classEmbedding!.Forward(Sinusoid(classLabels.Reshape(-1), Config.BlockOutChannels[0]).To(dtype)),
            "identity" => classLabels,
            _ => _classEmbedding!.Forward(classLabels),
        };
        return emb + classEmb.To(dtype);
    }

    private void CheckSample(Tensor sample)
    {
        var s = sample.Shape;
        if (s.Length != 4 || s[1] != Config.InChannels)
            throw new ArgumentException($"UNet2DModel expects [B, {Config.InChannels}, H, W] samples, got [{string.Join(", ", s)}]");
        var factor = 1L << (Config.BlockOutChannels.Count - 1);
        if (s[2] % factor != 0 || s[3] % factor != 0)
            throw new ArgumentException(
                $"UNet2DModel with {Config.BlockOutChannels.Count} levels needs H and W divisible by {factor} (skips must line up after upsampling), got {s[2]} x {s[3]}");
    }

    /// <summary>
    /// Renames attention weights of older diffusers checkpoints (query, key, value, proj_attn) to the current names
    /// (to_q, to_k, to_v, to_out.0), as diffusers' _convert_deprecated_attention_blocks does; other keys pass
    /// through. The tensors are the caller's, not copies.
    /// </summary>
    public static Dictionary<string, Tensor> UpgradeStateDict(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        var renames = new (string Old, string New)[] { (".query.", ".to_q."), (".key.", ".to_k."), (".value.", ".to_v."), (".proj_attn.", ".to_out.0.") };
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in stateDict)
        {
            var upgraded = name;
            if (name.Contains(".attentions.", StringComparison.Ordinal))
                foreach (var (o, n) in renames)
                    upgraded = upgraded.Replace(o, n, StringComparison.Ordinal);
            if (!result.TryAdd(upgraded, tensor))
                throw new ArgumentException($"state dict has both '{name}' and its upgraded name '{upgraded}'");
        }
        return result;
    }
}
