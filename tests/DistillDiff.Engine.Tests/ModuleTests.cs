namespace DistillDiff.Engine.Tests;

using DistillDiff.Engine.Nn;

/// <summary>Registration and dotted names, state dicts, conversion, freezing, train/eval, and the layers' forwards.</summary>
public class ModuleTests
{
    private sealed class Block : Layer
    {
        public Block()
        {
            Norm = RegisterModule("norm", new GroupNorm(2, 4));
            Convs = RegisterModule("convs", new ModuleList<Conv2d>([new Conv2d(4, 4, 3, padding: 1), new Conv2d(4, 4, 1, bias: false)]));
            Scale = RegisterParameter("scale", Torch.Ones(4));
            Steps = RegisterBuffer("steps", Torch.Zeros([1], DType.Int64));
            Cache = RegisterBuffer("cache", Torch.Zeros(4), persistent: false);
        }

        public GroupNorm Norm { get; }
        public ModuleList<Conv2d> Convs { get; }
        public Tensor Scale { get; }
        public Tensor Steps { get; }
        public Tensor Cache { get; }

        public override Tensor Forward(Tensor x)
        {
            using var scope = Torch.NewDisposeScope();
            var h = Convs[1].Forward(Convs[0].Forward(Norm.Forward(x)).Silu());
            return scope.MoveOut(h * Scale.View(1, -1, 1, 1) + x);
        }
    }

    private sealed class Net : Layer
    {
        public Net()
        {
            Stem = RegisterModule("stem", new Sequential(new Conv2d(1, 4, 3, padding: 1), new Activation("silu")));
            Blocks = RegisterModule("blocks", new ModuleList<Block>([new Block(), new Block()]));
            Head = RegisterModule("head", new Sequential(new Sequential(new Linear(4, 3)), new Dropout(0.5), new Linear(3, 2)));
        }

        public Sequential Stem { get; }
        public ModuleList<Block> Blocks { get; }
        public Sequential Head { get; }

        public override Tensor Forward(Tensor x)
        {
            using var scope = Torch.NewDisposeScope();
            var h = Stem.Forward(x);
            foreach (var b in Blocks) h = b.Forward(h);
            return scope.MoveOut(Head.Forward(h.Mean(2, 3)));
        }
    }

    private static readonly string[] NetParameterNames =
    [
        "stem.0.weight", "stem.0.bias",
        "blocks.0.scale", "blocks.0.norm.weight", "blocks.0.norm.bias", "blocks.0.convs.0.weight", "blocks.0.convs.0.bias", "blocks.0.convs.1.weight",
        "blocks.1.scale", "blocks.1.norm.weight", "blocks.1.norm.bias", "blocks.1.convs.0.weight", "blocks.1.convs.0.bias", "blocks.1.convs.1.weight",
        "head.0.0.weight", "head.0.0.bias", "head.2.weight", "head.2.bias",
    ];

    [Fact]
    public void DottedNamesFollowNestedSequentialsAndModuleLists()
    {
        using var net = new Net();
        Assert.Equal(NetParameterNames, net.NamedParameters().Select(p => p.Name));
        Assert.Equal(new[] { "blocks.0.steps", "blocks.0.cache", "blocks.1.steps", "blocks.1.cache" }, net.NamedBuffers().Select(b => b.Name));
        Assert.Equal(new[] { "blocks.0.steps", "blocks.1.steps" }, net.NamedBuffers(persistentOnly: true).Select(b => b.Name));
        Assert.Equal(
            new[] { "", "stem", "stem.0", "stem.1", "blocks", "blocks.0", "blocks.0.norm", "blocks.0.convs", "blocks.0.convs.0", "blocks.0.convs.1",
                "blocks.1", "blocks.1.norm", "blocks.1.convs", "blocks.1.convs.0", "blocks.1.convs.1", "head", "head.0", "head.0.0", "head.1", "head.2" },
            net.NamedModules().Select(m => m.Name));
        Assert.Equal(NetParameterNames.Concat(new[] { "blocks.0.steps", "blocks.1.steps" }).Order(), net.StateDict().Keys.Order());
        Assert.Same(net.Blocks[1].Scale, net.StateDict()["blocks.1.scale"]);

        using var scope = Torch.NewDisposeScope();
        Assert.Equal(new long[] { 3, 2 }, net.Forward(Torch.Randn(3, 1, 5, 5)).Shape);
    }

    [Fact]
    public void NumParametersCountsEveryElement()
    {
        using var net = new Net();
        // stem 1*4*9+4; block: scale 4, norm 4+4, conv3x3 4*4*9+4, conv1x1 16; head 4*3+3, 3*2+2.
        long block = 4 + 8 + 148 + 16;
        Assert.Equal(40 + 2 * block + 15 + 8, net.NumParameters());
        net.Blocks[0].RequiresGrad_(false);
        Assert.Equal(40 + block + 15 + 8, net.NumParameters(trainableOnly: true));
    }

    private sealed class Tied : Module
    {
        public Tied()
        {
            Shared = RegisterModule("encoder", new Linear(3, 3));
            RegisterModule("decoder", Shared);
            Other = RegisterModule("other", new Linear(3, 1));
        }

        public Linear Shared { get; }
        public Linear Other { get; }
    }

    [Fact]
    public void SharedParametersAreListedOnceButSavedUnderEveryName()
    {
        using var tied = new Tied();
        Assert.Equal(new[] { "encoder.weight", "encoder.bias", "other.weight", "other.bias" }, tied.NamedParameters().Select(p => p.Name));
        Assert.Equal(12 + 4, tied.NumParameters());
        Assert.Equal(6, tied.StateDict().Count);
        Assert.Same(tied.StateDict()["encoder.weight"], tied.StateDict()["decoder.weight"]);

        using var opt = new Optim.Sgd(tied.TrainableParameters(), 1.0);
        using var scope = Torch.NewDisposeScope();
        var before = tied.Shared.Bias!.Clone();
        tied.Shared.Bias!.Grad = Torch.Ones(3);
        opt.Step();                                                       // updated once: bias - 1, not bias - 2
        Assert.True((before - 1).AllClose(tied.Shared.Bias!));
    }

    [Fact]
    public void RegistrationRejectsBadAndDuplicateNames()
    {
        using var scope = Torch.NewDisposeScope();   // owns the tensors of the modules that fail half-built
        Assert.Throws<ArgumentException>(() => new BadModule("a.b"));
        Assert.Throws<ArgumentException>(() => new BadModule(""));
        Assert.Contains("registered twice", Assert.Throws<ArgumentException>(() => new BadModule("w", twice: true)).Message);
    }

    private sealed class BadModule : Module
    {
        public BadModule(string name, bool twice = false)
        {
            RegisterParameter(name, Torch.Zeros(1));
            if (twice) RegisterBuffer(name, Torch.Zeros(1));
        }
    }

    [Fact]
    public void StrictLoadListsEveryProblemAndCopiesNothing()
    {
        using var net = new Net();
        using var scope = Torch.NewDisposeScope();
        var before = net.Head[2].StateDict()["weight"].Clone();
        var sd = net.StateDict().ToDictionary(kv => kv.Key, kv => Torch.FullLike(kv.Value, 0.5));
        sd.Remove("blocks.1.scale");
        sd.Remove("stem.0.bias");
        sd["blocks.2.scale"] = Torch.Ones(4);
        sd["head.0.0.weight"] = Torch.Ones(3, 5);

        var ex = Assert.Throws<StateDictMismatchException>(() => net.LoadStateDict(sd));
        Assert.Contains("blocks.1.scale", ex.Message);
        Assert.Contains("stem.0.bias", ex.Message);
        Assert.Contains("blocks.2.scale", ex.Message);
        Assert.Contains("head.0.0.weight: expected [3, 4], got [3, 5]", ex.Message);
        Assert.Equal(new[] { "stem.0.bias", "blocks.1.scale" }, ex.Result.Missing);
        Assert.Equal(new[] { "blocks.2.scale" }, ex.Result.Unexpected);
        Assert.Single(ex.Result.Misshapen);
        Assert.True(net.Head[2].StateDict()["weight"].Equal(before), "a failed strict load must copy nothing");
        Assert.Equal(1.0, net.Blocks[0].Scale.Mean().Item());

        var result = net.LoadStateDict(sd, strict: false);
        Assert.Equal(ex.Result.Missing, result.Missing);
        Assert.Equal(ex.Result.Unexpected, result.Unexpected);
        Assert.Equal(ex.Result.Misshapen, result.Misshapen);
        Assert.False(result.IsExactMatch);
        Assert.Equal(0.5, net.Blocks[0].Scale.Mean().Item());             // matching ones copied
        Assert.Equal(1.0, net.Blocks[1].Scale.Mean().Item());             // missing one untouched
        Assert.Equal(0.5, net.Head[2].StateDict()["weight"].Mean().Item());
        Assert.Equal(0, net.Blocks[0].Steps.ItemLong());                  // 0.5 into an int64 buffer truncates
    }

    [Fact]
    public void StrictLoadOfAMatchingDictCopiesValuesAcrossDTypes()
    {
        using var a = new Net();
        using var b = new Net();
        using var scope = Torch.NewDisposeScope();
        var sd = a.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.DType.IsFloatingPoint() ? kv.Value.Double() : kv.Value);
        var result = b.LoadStateDict(sd);
        Assert.True(result.IsExactMatch);
        foreach (var (name, t) in b.StateDict())
        {
            Assert.True(t.Equal(a.StateDict()[name]), name);
            Assert.NotEqual(DType.Float64, t.DType);
        }
        Assert.True(b.Stem[0].StateDict()["weight"].RequiresGrad);
    }

    [Fact]
    public void ToFloat64KeepsReferencesAndRequiresGrad()
    {
        using var net = new Net();
        using var scope = Torch.NewDisposeScope();
        net.Blocks[1].RequiresGrad_(false);
        var scale = net.Blocks[0].Scale;
        var frozen = net.Blocks[1].Scale;
        var weight = net.Head[2].StateDict()["weight"];
        var values = weight.Double().ToArray<double>();
        var x = Torch.Randn(2, 1, 5, 5);
        net.Eval();
        var y32 = net.Forward(x).Double();

        Assert.Same(net, net.To(DType.Float64));
        Assert.Same(scale, net.Blocks[0].Scale);
        Assert.Equal(DType.Float64, scale.DType);
        Assert.True(scale.RequiresGrad);
        Assert.True(scale.IsLeaf);
        Assert.False(frozen.RequiresGrad);
        Assert.Equal(DType.Int64, net.Blocks[0].Steps.DType);            // integer buffers keep their dtype
        Assert.Equal(DType.Float64, net.Blocks[0].Cache.DType);
        Assert.Equal(values, weight.ToArray<double>());
        Assert.All(net.Parameters(), p => Assert.Equal(DType.Float64, p.DType));

        var y64 = net.Forward(x.Double());
        Assert.True(y64.AllClose(y32, 1e-5, 1e-6));
        y64.Sum().Backward();
        Assert.NotNull(scale.Grad);
        Assert.Null(frozen.Grad);

        net.To(Device.CPU, DType.Float32);
        Assert.Equal(DType.Float32, scale.DType);
        Assert.True(scale.RequiresGrad);
    }

    [Fact]
    public void RequiresGradFalseFreezes()
    {
        using var net = new Net();
        Assert.Equal(NetParameterNames.Length, net.TrainableParameters().Count());
        net.RequiresGrad_(false);
        Assert.Empty(net.TrainableParameters());
        Assert.Equal(0, net.NumParameters(trainableOnly: true));
        using (var scope = Torch.NewDisposeScope())
            Assert.False(net.Forward(Torch.Randn(1, 1, 4, 4)).RequiresGrad);
        net.RequiresGrad_(true);
        Assert.Equal(NetParameterNames, net.TrainableParameters().Select(p => p.Name));
    }

    [Fact]
    public void TrainAndEvalSwitchDropout()
    {
        using var model = new Sequential(new Linear(4, 4), new Sequential(new Dropout(0.5)));
        using var scope = Torch.NewDisposeScope();
        var drop = model[1];
        var x = Torch.Ones(1000);
        Assert.True(drop.Training);
        var y = drop.Forward(x).ToArray<float>();
        Assert.All(y, v => Assert.True(v == 0 || v == 2, $"dropout(0.5) keeps 1 as 2 or zeroes it, got {v}"));
        Assert.InRange(y.Count(v => v == 0), 400, 600);

        model.Eval();
        Assert.False(drop.Training);
        Assert.False(model.Training);
        Assert.Equal(x.ToArray<float>(), drop.Forward(x).ToArray<float>());
        model.Train();
        Assert.Contains(0f, drop.Forward(x).ToArray<float>());
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1));
    }

    [Fact]
    public void LayersComputeTheirFormulas()
    {
        using var scope = Torch.NewDisposeScope();
        using var lin = new Linear(3, 2);
        Assert.All(lin.Weight.ToArray<float>(), v => Assert.InRange(v, -1 / MathF.Sqrt(3), 1 / MathF.Sqrt(3)));
        var w = lin.Weight.ToArray<float>();
        var b = lin.Bias!.ToArray<float>();
        var y = lin.Forward(Torch.FromArray(new float[] { 1, 2, 3 }, 1, 3)).ToArray<float>();
        for (var o = 0; o < 2; o++)
            Assert.Equal(b[o] + w[o * 3] + 2 * w[o * 3 + 1] + 3 * w[o * 3 + 2], y[o], 5);

        using var emb = new Embedding(5, 3);
        var rows = emb.Forward(Torch.FromArray(new long[] { 4, 0, 4 })).ToArray<float>();
        var table = emb.Weight.ToArray<float>();
        Assert.Equal(table[12..15].Concat(table[0..3]).Concat(table[12..15]), rows);

        using var conv = new Conv2d(2, 6, 3, stride: 2, padding: 1, groups: 2);
        Assert.Equal(new long[] { 6, 1, 3, 3 }, conv.Weight.Shape);
        Assert.Equal(new long[] { 1, 6, 4, 4 }, conv.Forward(Torch.Zeros(1, 2, 8, 8)).Shape);
        Assert.Equal(conv.Bias!.ToArray<float>(), conv.Forward(Torch.Zeros(1, 2, 8, 8)).Select(2, 1).Select(2, 1).Reshape(-1).ToArray<float>());
        Assert.Throws<ArgumentException>(() => new Conv2d(3, 4, 3, groups: 2));

        using var up = new ConvTranspose2d(4, 2, 4, stride: 2, padding: 1);
        Assert.Equal(new long[] { 4, 2, 4, 4 }, up.Weight.Shape);
        Assert.Equal(new long[] { 1, 2, 16, 16 }, up.Forward(Torch.Zeros(1, 4, 8, 8)).Shape);

        using var ln = new LayerNorm(4);
        var normed = ln.Forward(Torch.FromArray(new float[] { 1, 2, 3, 4 }));
        Assert.Equal(0.0, normed.Mean().Item(), 6);
        Assert.Equal(1.0, normed.Var(unbiased: false).Item(), 4);
        using var gn = new GroupNorm(2, 4, affine: false);
        Assert.Empty(gn.Parameters());
        Assert.Throws<ArgumentException>(() => new GroupNorm(3, 4));

        Assert.Equal(new float[] { 0, 0, 2 }, new Activation("relu").Forward(Torch.FromArray(new float[] { -1, 0, 2 })).ToArray<float>());
        Assert.Equal(new float[] { -1, 0, 2 }, new Activation("identity").Forward(Torch.FromArray(new float[] { -1, 0, 2 })).ToArray<float>());
        Assert.Contains("unknown activation 'mish'", Assert.Throws<ArgumentException>(() => new Activation("mish")).Message);
    }

    [Fact]
    public void DisposeFreesParametersAndBuffers()
    {
        var net = new Net();
        var p = net.Blocks[1].Convs[0].Weight;
        var buf = net.Blocks[0].Steps;
        net.Dispose();
        Assert.True(p.IsDisposed);
        Assert.True(buf.IsDisposed);
        net.Dispose();
    }

    [Fact]
    public void A_float_parameter_given_an_integer_tensor_is_refused_not_converted()
    {
        using var lin = new Linear(3, 2);
        var sd = lin.StateDict().ToDictionary(kv => kv.Key, kv => kv.Key == "weight" ? Torch.Ones([2, 3], DType.Int32) : kv.Value.Clone());
        try
        {
            var e = Assert.Throws<StateDictMismatchException>(() => lin.LoadStateDict(sd));
            Assert.Contains("weight: expected a Float32 tensor, got Int32", e.Message);
            using var scope = Torch.NewDisposeScope();
            Assert.NotEqual(6.0, lin.StateDict()["weight"].Sum().Item());
        }
        finally
        {
            foreach (var t in sd.Values) t.Dispose();
        }
    }
}
