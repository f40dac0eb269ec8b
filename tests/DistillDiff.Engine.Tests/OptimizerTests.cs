namespace DistillDiff.Engine.Tests;

using DistillDiff.Engine.Nn;
using DistillDiff.Engine.Optim;

/// <summary>Optimizer updates, schedules, clipping and EMA against the update rules worked out by hand in doubles.</summary>
public class OptimizerTests
{
    private sealed class Params : Module
    {
        public Params(params double[][] values)
        {
            for (var i = 0; i < values.Length; i++) RegisterParameter(((char)('a' + i)).ToString(), Torch.FromArray(values[i]));
        }

        public Tensor this[string name] => NamedParameters().Single(p => p.Name == name).Parameter;
    }

    private static void SetGrad(Tensor p, double[] g)
    {
        using var t = Torch.FromArray(g);
        p.Grad = t;
    }

    private static void AssertClose(double[] expected, Tensor actual, double tol = 1e-12) =>
        Support.Reference.AssertClose(expected, actual.ToArray<double>(), tol);

    [Fact]
    public void AdamWTwoStepsMatchTheHandDerivedUpdate()
    {
        double[] p0 = [1.0, -2.0, 0.5], g1 = [0.3, -0.1, 2.0], g2 = [-0.2, 0.4, 1.0];
        const double lr = 0.1, b1 = 0.9, b2 = 0.99, eps = 1e-3, wd = 0.1;
        using var model = new Params(p0);
        using var opt = new AdamW(model.NamedParameters(), lr, b1, b2, eps, wd);

        // Decoupled decay first, then the bias-corrected moments: p = p (1 - lr wd) - lr m/(1 - b1^t) / (sqrt(v/(1 - b2^t)) + eps).
        var p = (double[])p0.Clone();
        var m = new double[3];
        var v = new double[3];
        foreach (var (g, t) in new[] { (g1, 1), (g2, 2) })
        {
            for (var i = 0; i < 3; i++)
            {
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                var mHat = m[i] / (1 - Math.Pow(b1, t));
                var vHat = v[i] / (1 - Math.Pow(b2, t));
                p[i] = p[i] * (1 - lr * wd) - lr * mHat / (Math.Sqrt(vHat) + eps);
            }
            SetGrad(model["a"], g);
            opt.Step();
            AssertClose(p, model["a"]);
        }
        Assert.Equal(2, opt.StepCount);
    }

    [Fact]
    public void SgdNesterovAndDampenedMomentumThreeSteps()
    {
        double[][] grads = [[1.0, -1.0], [0.5, 2.0], [-0.25, 0.0]];
        const double lr = 0.1, mu = 0.9, wd = 0.01;

        double[] Hand(bool nesterov, double dampening)
        {
            double[] p = [1.0, 2.0], buf = [0, 0];
            for (var t = 0; t < 3; t++)
                for (var i = 0; i < 2; i++)
                {
                    var d = grads[t][i] + wd * p[i];
                    buf[i] = t == 0 ? d : mu * buf[i] + (1 - dampening) * d;
                    p[i] -= lr * (nesterov ? d + mu * buf[i] : buf[i]);
                }
            return p;
        }

        foreach (var (nesterov, dampening) in new[] { (true, 0.0), (false, 0.5), (false, 0.0) })
        {
            using var model = new Params([1.0, 2.0]);
            using var opt = new Sgd(model.NamedParameters(), lr, mu, dampening, wd, nesterov);
            foreach (var g in grads)
            {
                SetGrad(model["a"], g);
                opt.Step();
            }
            AssertClose(Hand(nesterov, dampening), model["a"]);
        }
        using var plain = new Params([1.0, 2.0]);
        using var sgd = new Sgd(plain.NamedParameters(), 0.5);
        SetGrad(plain["a"], [1, -1]);
        sgd.Step();
        AssertClose([0.5, 2.5], plain["a"]);
        Assert.Throws<ArgumentException>(() => new Sgd(plain.NamedParameters(), 0.1, momentum: 0, nesterov: true));
    }

    [Fact]
    public void AdamWSkipsParametersWithoutAGradient()
    {
        using var model = new Params([1.0, 2.0], [3.0, 4.0]);
        using var opt = new AdamW(model.NamedParameters(), lr: 0.1, weightDecay: 0.5);
        SetGrad(model["a"], [1, 1]);
        opt.Step();
        Assert.Equal(new[] { 3.0, 4.0 }, model["b"].ToArray<double>());      // no update, not even the weight decay
        Assert.NotEqual(new[] { 1.0, 2.0 }, model["a"].ToArray<double>());
        using var scope = Torch.NewDisposeScope();
        var state = opt.StateDict();
        Assert.Equal(0.0, state["exp_avg.b"].Abs().Sum().Item());
        Assert.Equal(0.0, state["exp_avg_sq.b"].Abs().Sum().Item());
        Assert.NotEqual(0.0, state["exp_avg.a"].Abs().Sum().Item());

        opt.ZeroGrad();
        opt.Step();                                                           // nothing has a gradient: a no-op
        Assert.Equal(new[] { 3.0, 4.0 }, model["b"].ToArray<double>());
    }

    [Fact]
    public void StateDictRoundTripGivesABitwiseIdenticalNextStep()
    {
        using var gen = new Generator(5);
        using var a = new Sequential(new Linear(3, 4), new Activation("silu"), new Linear(4, 1));
        using var b = new Sequential(new Linear(3, 4), new Activation("silu"), new Linear(4, 1));
        using var optA = new AdamW(a.TrainableParameters(), lr: 0.01);
        using var x = DisposeScope.Detach(Torch.Randn([8, 3], gen));

        void Step(Module m, Optimizer opt)
        {
            using var scope = Torch.NewDisposeScope();
            opt.ZeroGrad();
            ((Layer)m).Forward(x).Square().Mean().Backward();
            opt.Step();
        }

        for (var i = 0; i < 3; i++) Step(a, optA);
        using (var scope = Torch.NewDisposeScope())
        {
            b.LoadStateDict(a.StateDict());
            var saved = optA.StateDict();
            Assert.Equal(3, saved["step"].ItemLong());
            Assert.Equal(9, saved.Count);                                     // exp_avg and exp_avg_sq for 4 parameters, and step
            using var optB = new AdamW(b.TrainableParameters(), lr: 0.01);
            optB.LoadStateDict(saved);
            Assert.Equal(3, optB.StepCount);
            Step(a, optA);
            Step(b, optB);
            foreach (var (name, t) in a.StateDict())
                Assert.True(t.Equal(b.StateDict()[name]), $"{name} differs after the restored step");
            var after = optB.StateDict();
            foreach (var (name, t) in optA.StateDict())
                Assert.True(t.Equal(after[name]), $"optimizer state {name} differs");

            saved.Remove("exp_avg.0.weight");
            Assert.Contains("exp_avg.0.weight", Assert.Throws<ArgumentException>(() => optB.LoadStateDict(saved)).Message);
        }
    }

    [Fact]
    public void ZeroGradFreesGradients()
    {
        using var model = new Sequential(new Linear(2, 2));
        using var opt = new AdamW(model.TrainableParameters());
        using var scope = Torch.NewDisposeScope();
        model.Forward(Torch.Ones(1, 2)).Sum().Backward();
        Assert.All(model.Parameters(), p => Assert.NotNull(p.Grad));
        opt.ZeroGrad();
        Assert.All(model.Parameters(), p => Assert.Null(p.Grad));
    }

    [Fact]
    public void OptimizerFollowsModuleToAndRefusesADisposedModule()
    {
        var model = new Params([1.0, 2.0]);
        using var opt = new Sgd(model.NamedParameters(), 0.5);
        model.To(DType.Float32);
        Assert.Equal(DType.Float32, model["a"].DType);
        using (var g = Torch.FromArray(new float[] { 1, 1 })) model["a"].Grad = g;
        opt.Step();
        Assert.Equal(new float[] { 0.5f, 1.5f }, model["a"].ToArray<float>());

        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => opt.Step());
        Assert.Throws<ObjectDisposedException>(() => opt.ZeroGrad());
    }

    [Fact]
    public void OptimizerRejectsEmptyAndDuplicateParameterLists()
    {
        using var model = new Params([1.0]);
        Assert.Contains("no parameters", Assert.Throws<ArgumentException>(() => new AdamW([])).Message);
        var p = model.NamedParameters().Single();
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => new AdamW([p, p])).Message);
    }

    [Fact]
    public void LrScheduleFactorsAtChosenSteps()
    {
        var constant = new LrSchedule(LrScheduleKind.Constant, WarmupSteps: 4);
        Assert.Equal(0.25, constant.Factor(0));
        Assert.Equal(0.75, constant.Factor(2));
        Assert.Equal(1.0, constant.Factor(3));
        Assert.Equal(1.0, constant.Factor(1000));
        Assert.Equal(1.0, new LrSchedule().Factor(0));

        var cosine = new LrSchedule(LrScheduleKind.Cosine, WarmupSteps: 10, TotalSteps: 110, MinFactor: 0.1);
        Assert.Equal(0.1, cosine.Factor(0), 12);
        Assert.Equal(1.0, cosine.Factor(10), 12);
        Assert.Equal(0.55, cosine.Factor(60), 12);                           // halfway: 0.1 + 0.9 * (1 + cos(pi/2)) / 2
        Assert.Equal(0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI / 4)), cosine.Factor(35), 12);
        Assert.Equal(0.1, cosine.Factor(110), 12);
        Assert.Equal(0.1, cosine.Factor(500), 12);

        var linear = new LrSchedule(LrScheduleKind.LinearToZero, TotalSteps: 100);
        Assert.Equal(1.0, linear.Factor(0));
        Assert.Equal(0.75, linear.Factor(25));
        Assert.Equal(0.0, linear.Factor(100));
        Assert.Equal(0.0, linear.Factor(150));
        Assert.Throws<InvalidOperationException>(() => new LrSchedule(LrScheduleKind.Cosine, WarmupSteps: 5, TotalSteps: 5).Factor(6));

        using var model = new Params([1.0]);
        using var opt = new Sgd(model.NamedParameters(), 0.2);
        linear.Apply(opt);
        Assert.Equal(0.2, opt.LearningRate, 12);
        SetGrad(model["a"], [1]);
        for (var i = 0; i < 25; i++) opt.Step();
        linear.Apply(opt);
        Assert.Equal(0.15, opt.LearningRate, 12);
        Assert.Equal(0.2, opt.BaseLearningRate);
    }

    [Fact]
    public void GradClipReturnsTheNormAndScalesToMaxNorm()
    {
        using var model = new Params([0.0, 0.0], [0.0]);
        using var scope = Torch.NewDisposeScope();
        SetGrad(model["a"], [3, 4]);
        SetGrad(model["b"], [12]);                                            // global norm sqrt(9 + 16 + 144) = 13

        var norm = GradClip.ClipGradNorm(model.Parameters(), 100);
        Assert.Equal(13.0, norm.Item(), 12);
        AssertClose([3, 4], model["a"].Grad!);                                // under the limit: untouched

        norm = GradClip.ClipGradNorm(model.Parameters(), 6.5);
        Assert.Equal(13.0, norm.Item(), 12);
        AssertClose([1.5, 2], model["a"].Grad!, 1e-6);
        AssertClose([6], model["b"].Grad!, 1e-6);
        var total = Math.Sqrt(model.Parameters().Sum(p => p.Grad!.Square().Sum().Item()));
        Assert.Equal(6.5, total, 5);
        Assert.Equal(6.5, GradClip.ClipGradNorm(model.Parameters(), 100).Item(), 5);
    }

    [Fact]
    public void EmaAfterTwoUpdates()
    {
        using var model = new Params([1.0, 2.0]);
        using var ema = new ExponentialMovingAverage(model, 0.9);
        using var noGrad = Torch.NoGrad();
        using var scope = Torch.NewDisposeScope();
        model["a"].Copy_(Torch.FromArray(new double[] { 3, 4 }));
        ema.Update();
        model["a"].Copy_(Torch.FromArray(new double[] { 5, 6 }));
        ema.Update();
        // s1 = 0.9 p0 + 0.1 p1 = [1.2, 2.2];  s2 = 0.9 s1 + 0.1 p2 = [1.58, 2.58]
        AssertClose([1.58, 2.58], ema.StateDict()["a"]);
        Assert.False(ema.StateDict()["a"].RequiresGrad);

        using var copy = new Params([0.0, 0.0]);
        ema.CopyTo(copy);
        AssertClose([1.58, 2.58], copy["a"]);
        AssertClose([5, 6], model["a"]);

        ema.LoadStateDict(new Dictionary<string, Tensor> { ["a"] = Torch.FromArray(new double[] { 7, 8 }) });
        AssertClose([7, 8], ema.StateDict()["a"]);
        Assert.Throws<ArgumentException>(() => ema.LoadStateDict(new Dictionary<string, Tensor>()));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialMovingAverage(model, 1.5));
    }
}
