namespace DistillDiff.Engine.Tests;

using DistillDiff.Engine.Nn;
using DistillDiff.Engine.Optim;
using DistillDiff.Engine.Tests.Support;

/// <summary>A long training loop leaks neither native handles, nor tensors to the finalizer, nor resident memory.</summary>
[Collection(SerialCollection.Name)]
public class MemoryTests
{
    private readonly ITestOutputHelper _output;

    public MemoryTests(ITestOutputHelper output) => _output = output;

    private sealed class SmallConvNet : Layer
    {
        private readonly Sequential _features;
        private readonly Linear _head;

        public SmallConvNet()
        {
            _features = RegisterModule("features", new Sequential(
                new Conv2d(1, 8, 3, padding: 1), new Activation("silu"), new Conv2d(8, 8, 3, stride: 2, padding: 1), new Activation("silu")));
            _head = RegisterModule("head", new Linear(8 * 4 * 4, 10));
        }

        public override Tensor Forward(Tensor x)
        {
            using var scope = Torch.NewDisposeScope();
            return scope.MoveOut(_head.Forward(_features.Forward(x).Flatten(1)));
        }
    }

    /// <summary>2,000 AdamW steps on 8x8 inputs; RSS may grow by less than 20 MiB between step 200 (warm) and the end.</summary>
    [Fact]
    public void TwoThousandAdamWStepsLeakNothingAndRssGrowsUnder20MiB()
    {
        const int steps = 2000, warmup = 200;
        const long rssBound = 20L << 20;
        using var gen = new Generator(11);
        using var model = new SmallConvNet();
        using var opt = new AdamW(model.TrainableParameters(), lr: 1e-3);
        var schedule = new LrSchedule(LrScheduleKind.Cosine, WarmupSteps: 100, TotalSteps: steps);
        using var target = DisposeScope.Detach(Torch.RandInt(0, 10, [16], gen));

        ProcessMemory.Settle();
        var liveBefore = Torch.LiveTensorCount;
        var finalizedBefore = Tensor.FinalizedCount;
        long rssWarm = 0;
        double firstLoss = 0, lastLoss = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var step = 0; step < steps; step++)
        {
            using (var scope = Torch.NewDisposeScope())
            {
                var x = Torch.Randn([16, 1, 8, 8], gen);
                var loss = Functional.CrossEntropy(model.Forward(x), target);
                opt.ZeroGrad();
                loss.Backward();
                GradClip.ClipGradNorm(model.Parameters(), 1.0);
                schedule.Apply(opt);
                opt.Step();
                if (step == 0) firstLoss = loss.Item();
                if (step == steps - 1) lastLoss = loss.Item();
            }
            if (step == warmup - 1)
            {
                ProcessMemory.Settle();
                rssWarm = ProcessMemory.ResidentBytes();
            }
        }
        ProcessMemory.Settle();
        var rssEnd = ProcessMemory.ResidentBytes();
        var liveAfter = Torch.LiveTensorCount;
        var growth = rssEnd - rssWarm;
        _output.WriteLine($"{steps} steps in {clock.Elapsed.TotalSeconds:F1} s; loss {firstLoss:F3} -> {lastLoss:F3}");
        _output.WriteLine($"live tensors {liveBefore} -> {liveAfter}; finalized {finalizedBefore} -> {Tensor.FinalizedCount}");
        _output.WriteLine($"RSS after step {warmup}: {rssWarm / 1048576.0:F1} MiB, at the end: {rssEnd / 1048576.0:F1} MiB, growth {growth / 1048576.0:F2} MiB");

        Assert.Equal(liveBefore, liveAfter);
        Assert.Equal(finalizedBefore, Tensor.FinalizedCount);
        Assert.True(growth < rssBound, $"RSS grew by {growth / 1048576.0:F1} MiB between step {warmup} and {steps} (bound 20 MiB)");
        Assert.True(lastLoss < firstLoss, $"loss {firstLoss} -> {lastLoss}: the loop did not train");
    }
}
