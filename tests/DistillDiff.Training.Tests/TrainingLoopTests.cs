namespace DistillDiff.Training.Tests;

using DistillDiff.Data;
using DistillDiff.Data.Datasets;
using DistillDiff.Engine;
using DistillDiff.Engine.Nn;
using DistillDiff.Engine.Optim;
using DistillDiff.Training.Checkpoints;
using DistillDiff.Training.Loop;
using DistillDiff.Training.Methods;
using DistillDiff.Training.Runs;
using Serilog;

/// <summary>The shared loop on a method it knows nothing about: two modules taking turns, named losses, a stop request.</summary>
public class TrainingLoopTests
{
    /// <summary>Module "a" steps on even iterations, "b" on odd ones; loss = (a(x) + b(x))^2 summed.</summary>
    private sealed class TakingTurns : ITrainingMethod
    {
        public TakingTurns()
        {
            A = new Linear(2, 1);
            B = new Linear(2, 1);
            Trained = [new TrainedModule("a", A, new OptimizerSettings(0.1, new LrSchedule())), new TrainedModule("b", B, new OptimizerSettings(0.1, new LrSchedule()))];
        }

        public Linear A { get; }
        public Linear B { get; }
        public IReadOnlyList<TrainedModule> Trained { get; }
        public string Published => "a";
        public List<long> Steps { get; } = [];
        public bool IsActive(string name, long step) => (name == "a") == (step % 2 == 0);

        public StepLosses Step(StepContext c)
        {
            Steps.Add(c.Step);
            var la = A.Forward(c.X).Square().Mean();
            var lb = B.Forward(c.X).Square().Mean();
            var logged = new Dictionary<string, Tensor> { [c.Step % 2 == 0 ? "a_loss" : "b_loss"] = c.Step % 2 == 0 ? la : lb };
            return new StepLosses(la + lb, logged);
        }

        public void Dispose()
        {
            A.Dispose();
            B.Dispose();
        }
    }

    private static (TrainingLoop Loop, RunDirectory Run, MetricsLog Metrics) NewLoop(string dir)
    {
        var run = new RunDirectory(dir);
        var data = DatasetRegistry.Default.Create(new DataConfig { Type = "toy2d", Kind = "gaussian_mixture", Count = 512 });
        var metrics = new MetricsLog(run, 0, tensorBoard: false);
        var loop = new TrainingLoop(data, new BatchSampler(data.Count, 32, 1), new Generator(2), Device.CPU, false, metrics,
            new CheckpointStore(run.State), run, logEvery: 2, checkpointEvery: 100, new LoggerConfiguration().CreateLogger(), null, null, []);
        return (loop, run, metrics);
    }

    [Fact]
    public void OnlyTheActiveModuleStepsAndEachNamedLossIsLogged()
    {
        var (loop, run, metrics) = NewLoop(TestRecipes.TempDir("loop"));
        using var _ = metrics;
        using var method = new TakingTurns();
        var a0 = method.A.Weight.Clone();
        var b0 = method.B.Weight.Clone();
        Module? published = null;
        Assert.True(loop.Run(new Phase("turns", 0, 1, 32, Path.Combine(run.Models, "x")), method, (m, _) => published = m));
        Assert.False(method.A.Weight.AllClose(a0), "a is active at iteration 0 and must have moved");
        Assert.True(method.B.Weight.AllClose(b0, 0, 0), "b is inactive at iteration 0 and must not move (its gradient is cleared, never applied)");
        Assert.Same(method.A, published);

        using var second = new TakingTurns();
        var (loop2, run2, metrics2) = NewLoop(TestRecipes.TempDir("loop"));
        using (metrics2) Assert.True(loop2.Run(new Phase("turns", 0, 4, 32, Path.Combine(run2.Models, "x")), second, (_, _) => { }));
        var rows = MetricsLog.Read(run2.Metrics).ToList();
        Assert.Equal([2L, 4L], rows.Select(r => r.Step));
        Assert.All(rows, r => Assert.True(r.Values.ContainsKey("a_loss") && r.Values.ContainsKey("b_loss") && r.Values.ContainsKey("lr_a") && r.Values.ContainsKey("lr_b")));
        var ckpt = File.ReadAllText(Path.Combine(run2.State, "latest")).Trim();
        foreach (var f in new[] { "a.safetensors", "a.optimizer.safetensors", "b.safetensors", "b.optimizer.safetensors", "trainer.json" })
            Assert.True(File.Exists(Path.Combine(run2.State, "step-000000004", f)), $"{f} missing from the phase's last checkpoint");
        Assert.Equal("step-000000004-1", ckpt);
    }

    [Fact]
    public void AStopRequestSavesACheckpointAndReturns()
    {
        var (loop, run, metrics) = NewLoop(TestRecipes.TempDir("loop-stop"));
        using var _ = metrics;
        using var method = new TakingTurns();
        var calls = 0;
        loop.StopRequested = () => ++calls > 3;
        Assert.False(loop.Run(new Phase("turns", 10, 50, 32, Path.Combine(run.Models, "x")), method, (_, _) => throw new InvalidOperationException("a stopped phase is not published")));
        Assert.Equal([0L, 1L, 2L], method.Steps);
        Assert.Equal("step-000000013", File.ReadAllText(Path.Combine(run.State, "latest")).Trim());
        var state = TrainerState.Load(Path.Combine(run.State, "step-000000013"));
        Assert.Equal(("turns", 3L), (state.Phase, state.Step));
        Assert.Empty(state.CompletedPhases);
    }
}
