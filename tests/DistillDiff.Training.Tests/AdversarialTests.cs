namespace DistillDiff.Training.Tests;

using System.Diagnostics;
using DistillDiff.Data.Datasets;
using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Schedules;
using DistillDiff.Engine;
using DistillDiff.Models;
using DistillDiff.Recipes;
using DistillDiff.Training.Config;
using DistillDiff.Training.Loop;
using DistillDiff.Training.Losses;
using DistillDiff.Training.Methods;
using DistillDiff.Training.Trainers;
using Serilog;

/// <summary>Adversarial diffusion distillation: its losses against hand values, its reduction to pure distillation, its resume.</summary>
public class AdversarialTests
{
    [Fact]
    public void HingeLossesOnKnownLogits()
    {
        // Two heads: [2, 0.5, -1] and [0.25] on real; [-2, 0, 1.5] and [3] on fake.
        Tensor[] real = [Torch.FromArray([2.0, 0.5, -1.0]), Torch.FromArray([0.25])];
        Tensor[] fake = [Torch.FromArray([-2.0, 0.0, 1.5]), Torch.FromArray([3.0])];
        // L_D = mean(0, 0.5, 2) + mean(0.75) + mean(0, 1, 2.5) + mean(4) = 5/6 + 0.75 + 7/6 + 4
        Assert.Equal(5.0 / 6 + 0.75 + 7.0 / 6 + 4, HingeLoss.Discriminator(real, fake).Item(), 12);
        // L_G = -mean(-2, 0, 1.5) - mean(3) = 1/6 - 3
        Assert.Equal(1.0 / 6 - 3, HingeLoss.Generator(fake).Item(), 12);
        Assert.Equal((-0.5 / 3 + 3) / 2, HingeLoss.MeanScore(fake).Item(), 12);
    }

    [Fact]
    public void R1EqualsTheSquaredNormOfAKnownInputGradient()
    {
        // D(x) = w . x has input gradient w for every sample: R1 = ||w||^2, and dR1/dw = 2w (the double backward).
        var w = Torch.FromArray([0.5, -2.0, 3.0], 3, 1).RequiresGrad_();
        var x = Torch.FromArray([1.0, 2.0, 3.0, -1.0, 0.0, 4.0], 2, 3);
        var (r1, logits) = R1Penalty.Compute(xr => [xr.MatMul(w)], x);
        Assert.Equal(0.25 + 4 + 9, r1.Item(), 12);
        Assert.Equal(new[] { 0.5 * 1 - 4 + 9, -0.5 + 12 }, logits[0].Flatten().ToArray<double>(), new ToleranceComparer(1e-12));
        r1.Backward();
        Assert.Equal(new[] { 1.0, -4.0, 6.0 }, w.Grad!.Flatten().ToArray<double>(), new ToleranceComparer(1e-12));

        // D(x) = sum_i x_i^2 (two heads: the sum over heads counts twice): gradient 4x, R1 = mean_b 16 ||x_b||^2.
        var (r1q, _) = R1Penalty.Compute(xr => [xr.Square().Sum([1L]), xr.Square().Sum([1L])], x);
        Assert.Equal((16 * 14.0 + 16 * 17.0) / 2, r1q.Item(), 9);
    }

    [Theory]
    [InlineData(DistillationWeighting.Uniform, 1.0)]
    [InlineData(DistillationWeighting.Exponential, 0.6)]
    [InlineData(DistillationWeighting.Sds, 0.24)]
    public void DistillationTermByHand(DistillationWeighting weighting, double c)
    {
        // One example: x_student = [1, 2], x_teacher = [0, 0] at alpha 0.6, sigma 0.8: c(t) * mean(1, 4) = 2.5 c.
        var loss = ScoreDistillationLoss.Compute(Torch.FromArray([1.0, 2.0], 1, 2), Torch.FromArray([0.0, 0.0], 1, 2),
            Torch.FromArray([0.6]), Torch.FromArray([0.8]), weighting);
        Assert.Equal(2.5 * c, loss.Item(), 12);
    }

    [Fact]
    public void WithAdversarialWeightZeroTheStudentStepIsPureDistillation()
    {
        var dir = TestRecipes.TempDir("add-zero");
        var job = JobConfig.From(RecipeLoader.Load(TestRecipes.Toy(dir, adversarial: true), ["distill.adversarial_weight=0", "distill.feature_network=mlp"]));
        var cfg = job.DistillAs<AdversarialConfig>()!;
        Torch.ManualSeed(5);
        var teacherDir = Path.Combine(dir, "teacher");
        using (var net = ModelSetup.Create(job)) ModelSetup.SaveFolder(teacherDir, net, job);
        var data = DatasetRegistry.Default.Create(job.Data);
        var schedule = ScheduleRegistry.Create(job.Diffusion.ToScheduleConfig());
        var ctx = new MethodContext(job, Device.CPU, schedule, Prediction.V, data, false, teacherDir, n => Path.Combine(dir, n), new LoggerConfiguration().CreateLogger());
        using var method = new AdversarialDistillation(ctx, cfg);
        using var scope = Torch.NewDisposeScope();
        var batch = data.GetBatch(Enumerable.Range(0, 16).Select(i => (long)i).ToArray(), Device.CPU);
        Assert.True(method.IsActive("student", 1) && !method.IsActive("discriminator", 1), "iteration 1 of a 1:1 cycle is the student's");
        using var gen = new Generator(7);
        var losses = method.Step(new StepContext(batch, null, 1, gen, Device.CPU));

        // By hand, with the same draws: student timestep, noise, renoising time, renoising noise.
        using var g = new Generator(7);
        var student = (DenoiserBackbone)method.Trained.Single(m => m.Name == "student").Module;
        var denoiser = new Denoiser(student, schedule, Prediction.V);
        var times = Torch.FromArray([1.0f, 0.75f, 0.5f, 0.25f]);
        var t = times.Index(Torch.RandInt(0, 4, [16], g));
        var eps = Torch.Randn([16, 2], g);
        var (a, s) = schedule.AlphaSigma(t);
        var z = a.Unsqueeze(1) * batch.X + s.Unsqueeze(1) * eps;
        var xHat = denoiser.Predict(z, t).X0;
        var t2 = Torch.Rand([16], g) * (0.98 - 0.02) + 0.02;
        var eps2 = Torch.Randn([16, 2], g);
        var (a2, s2) = schedule.AlphaSigma(t2);
        Tensor xTeacher;
        using (Torch.NoGrad()) xTeacher = denoiser.Predict(a2.Unsqueeze(1) * xHat + s2.Unsqueeze(1) * eps2, t2).X0;
        var expected = 2.5 * (a2 * (xHat - xTeacher).Square().Mean([1L])).Mean();
        Assert.Equal(expected.Item(), losses.Total.Item(), 6);
        Assert.Equal(expected.Item() / 2.5, losses.Logged["distill"].Item(), 6);
        Assert.NotEqual(0.0, losses.Logged["g_adv"].Item());

        // The same gradient on the student as the distillation loss alone.
        var parameters = student.TrainableParameters().Select(p => p.Parameter).ToList();
        losses.Total.Backward();
        var viaMethod = parameters.Select(p => p.Grad!.Clone()).ToList();
        foreach (var p in parameters) p.Grad!.Zero_();
        expected.Backward();
        for (var i = 0; i < parameters.Count; i++)
            Assert.True(viaMethod[i].AllClose(parameters[i].Grad!, 1e-5, 1e-7), $"gradient of {student.TrainableParameters().ElementAt(i).Name} differs");
    }

    [Fact]
    public void UnknownMethodIsRefusedWithTheChoices()
    {
        var e = Assert.Throws<RecipeException>(() => Bind("distill.method=consistency"));
        Assert.Equal("--set distill.method=consistency: key 'distill.method' must be one of [progressive, adversarial], got 'consistency'", e.Message);
        Assert.Equal("distill.method", e.Key);
    }

    [Fact]
    public void MethodKeyInTheWrongSectionIsNamed()
    {
        var e = Assert.Throws<RecipeException>(() => Bind("teacher.method=adversarial"));
        Assert.Equal("--set teacher.method=adversarial: key 'teacher.method' is not a setting here: the distillation method is chosen by 'distill.method' (one of [progressive, adversarial])", e.Message);
    }

    [Fact]
    public void AnotherMethodsKeyNamesItsMethod()
    {
        var e = Assert.Throws<RecipeException>(() => Bind("distill.r1_gamma=1e-4"));
        Assert.Equal("--set distill.r1_gamma=1e-4: key 'distill.r1_gamma' is a setting of distill.method adversarial, but this recipe's method is progressive (the default; set distill.method: adversarial to use it)", e.Message);
    }

    [Fact]
    public void AdversarialRecipeBindsItsOwnRecord()
    {
        var job = Bind(Adversarial("distill.r1_gamma=1e-4"));
        Assert.Equal("adversarial", job.Method);
        var cfg = job.DistillAs<AdversarialConfig>()!;
        Assert.Equal(1e-4, cfg.R1Gamma);
        Assert.Equal(2.5, cfg.DistillWeight);
        Assert.Equal(new long[] { 999, 749, 499, 249 }, AdversarialDistillation.StudentTimesteps(job, cfg));
    }

    [Fact]
    public void KilledAdversarialRunResumesToTheSameStudentAndDiscriminator()
    {
        var timeout = TimeSpan.FromMinutes(4);
        string[] sets = ["--set", "distill.updates=60", "--set", "teacher.steps=200"];
        var dirA = TestRecipes.TempDir("add-resume-a");
        var (codeA, _, errA) = Cli.Run(["train", AdversarialRecipe(dirA), .. sets], timeout);
        Assert.True(codeA == 0, errA);

        var dirB = TestRecipes.TempDir("add-resume-b");
        var runB = Path.Combine(dirB, "toy");
        ResumeTests.KillWhenCheckpointed(["train", AdversarialRecipe(dirB), .. sets], runB, minGlobalStep: 260);   // inside the ADD phase
        var (codeB, _, errB) = Cli.Run(["resume", runB], timeout);
        Assert.True(codeB == 0, errB);

        var runA = Path.Combine(dirA, "toy");
        // The ADD phase ends at global step 200 + 60 * 2; its last checkpoint holds both networks.
        var last = "step-000000320";
        foreach (var file in new[] { "models/student-add/diffusion_pytorch_model.safetensors", $"state/{last}/student.safetensors",
                     $"state/{last}/discriminator.safetensors", $"state/{last}/discriminator.optimizer.safetensors" })
            Assert.True(File.ReadAllBytes(Path.Combine(runA, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(runB, file))),
                $"{file} differs between the uninterrupted and the resumed run");
        Assert.Equal(ResumeTests.MetricsWithoutTime(runA), ResumeTests.MetricsWithoutTime(runB));
        var names = File.ReadLines(Path.Combine(runA, "metrics.jsonl")).Where(l => l.Contains("\"adversarial\"")).ToList();
        Assert.Contains(names, l => l.Contains("\"g_adv\"") && l.Contains("\"distill\"") && l.Contains("\"d_loss\"") && l.Contains("\"r1\"")
                                    && l.Contains("\"d_real\"") && l.Contains("\"d_fake\""));
    }

    private static string[] Adversarial(params string[] more) =>
        ["distill.method=adversarial", .. more];

    private static JobConfig Bind(params string[] overrides)
    {
        var dir = TestRecipes.TempDir("add-config");
        return JobConfig.From(RecipeLoader.Load(TestRecipes.Toy(dir, adversarial: overrides.Contains("distill.method=adversarial")), overrides));
    }

    private static string AdversarialRecipe(string dir) => TestRecipes.Toy(dir, checkpointEvery: 20, adversarial: true);

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance;
        public int GetHashCode(double v) => 0;
    }
}
