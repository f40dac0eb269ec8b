namespace DistillDiff.Models.Mlp;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;
using DistillDiff.Models.Blocks;
using DistillDiff.Models.Profiling;

/// <summary>
/// Residual MLP denoiser for [B, D] samples: sinusoidal timestep features -> time_embedding MLP (+ class
/// embedding) conditioning every block; input_proj, blocks, norm_out, SiLU, output_proj.
/// </summary>
public sealed class MlpDenoiser : DenoiserBackbone
{
    private readonly TimestepEmbedding _timeEmbedding;
    private readonly Embedding? _classEmbedding;
    private readonly Linear _inputProj, _outputProj;
    private readonly ModuleList<ResidualMlpBlock> _blocks;
    private readonly LayerNorm? _normOut;

    public MlpDenoiser(MlpDenoiserConfig config)
    {
        config.Validate();
        Config = config;
        var layerNorm = config.Norm == "layer_norm";
        _timeEmbedding = RegisterModule("time_embedding", new TimestepEmbedding(config.TimeEmbedDim, config.Hidden));
        if (config.NumClassEmbeds is int n) _classEmbedding = RegisterModule("class_embedding", new Embedding(n, config.Hidden));
        _inputProj = RegisterModule("input_proj", new Linear(config.DataDim, config.Hidden));
        _blocks = RegisterModule("blocks", new ModuleList<ResidualMlpBlock>());
        for (var i = 0; i < config.Blocks; i++) _blocks.Add(new ResidualMlpBlock(config.Hidden, config.Hidden, layerNorm));
        if (layerNorm) _normOut = RegisterModule("norm_out", new LayerNorm(config.Hidden));
        _outputProj = RegisterModule("output_proj", new Linear(config.Hidden, config.ResolvedOutDim()));
    }

    public MlpDenoiserConfig Config { get; }

    public override int SampleChannels => Config.DataDim;

    public override int OutChannels => Config.ResolvedOutDim();

    /// <param name="sample">[B, data_dim].</param>
    public override Tensor Forward(Tensor sample, Tensor timestep, Tensor? classLabels = null)
    {
        using var scope = Torch.NewDisposeScope();
        var (h, _) = Encode(sample, timestep, classLabels, null);
        h = _outputProj.Counted((_normOut?.Forward(h) ?? h).Silu());
        return scope.MoveOut(h);
    }

    /// <summary>The residual stream after input_proj and after each block, [B, hidden] each.</summary>
    public override IReadOnlyList<Tensor> EncoderFeatures(Tensor sample, Tensor timestep, Tensor? classLabels = null)
    {
        using var scope = Torch.NewDisposeScope();
        var features = new List<Tensor>();
        Encode(sample, timestep, classLabels, features);
        foreach (var f in features) scope.MoveOut(f);
        return features;
    }

    private (Tensor H, Tensor Emb) Encode(Tensor sample, Tensor timestep, Tensor? classLabels, List<Tensor>? features)
    {
        var s = sample.Shape;
        if (s.Length != 2 || s[1] != Config.DataDim)
            throw new ArgumentException($"MlpDenoiser expects [B, {Config.DataDim}] samples, got [{string.Join(", ", s)}]");
        var t = TimestepEncoding.ToBatch(timestep, s[0], sample.Device);
        var sinusoid = TimestepEncoding.Sinusoidal(t, Config.TimeEmbedDim, flipSinToCos: true, downscaleFreqShift: 0);
        var emb = _timeEmbedding.Forward(sinusoid.To(_inputProj.Weight.DType));
        emb = ClassConditioning.Add(emb, _classEmbedding, classLabels, s[0], nameof(MlpDenoiser));
        var h = _inputProj.Counted(sample);
        features?.Add(h);
        foreach (var block in _blocks)
        {
            h = block.Forward(h, emb);
            features?.Add(h);
        }
        return (h, emb);
    }
}
