namespace DistillDiff.Engine.Tests;

using DistillDiff.Engine.Nn;
using DistillDiff.Engine.Optim;
using DistillDiff.Engine.Tests.Support;

/// <summary>Dispose scopes own what is made inside them; native handle counts come back to where they started.</summary>
[Collection(SerialCollection.Name)]
public class DisposeScopeTests
{
    // Counts are process-wide: let finalizers of tensors other tests forgot run before a test reads its baseline.
    public DisposeScopeTests() => ProcessMemory.Settle();

    [Fact]
    public void NestedScopesDisposeTheirOwnTensors()
    {
        var baseline = Torch.LiveTensorCount;
        Tensor a, b, c;
        using (var outer = Torch.NewDisposeScope())
        {
            a = Torch.Ones(2);
            using (var inner = Torch.NewDisposeScope())
            {
                Assert.Same(inner, DisposeScope.Current);
                Assert.Same(outer, inner.Parent);
                b = a * 2;
                c = b + 1;
                Assert.Equal(2, inner.OwnedCount);
                Assert.Equal(baseline + 3, Torch.LiveTensorCount);
            }
            Assert.Same(outer, DisposeScope.Current);
            Assert.True(b.IsDisposed);
            Assert.True(c.IsDisposed);
            Assert.False(a.IsDisposed);
            Assert.Equal(baseline + 1, Torch.LiveTensorCount);
        }
        Assert.True(a.IsDisposed);
        Assert.Null(DisposeScope.Current);
        Assert.Equal(baseline, Torch.LiveTensorCount);
    }

    [Fact]
    public void MoveOutHandsATensorToTheParent()
    {
        var baseline = Torch.LiveTensorCount;
        Tensor kept, dropped;
        using (var outer = Torch.NewDisposeScope())
        {
            using (var inner = Torch.NewDisposeScope())
            {
                kept = inner.MoveOut(Torch.Ones(3) * 5);
                dropped = Torch.Zeros(3);
            }
            Assert.True(dropped.IsDisposed);
            Assert.False(kept.IsDisposed);
            Assert.Equal(15.0, kept.Sum().Item());
        }
        Assert.True(kept.IsDisposed);

        // Out of the outermost scope the caller owns it.
        Tensor mine;
        using (var only = Torch.NewDisposeScope())
        {
            mine = only.MoveOut(Torch.Ones(2));
            only.MoveOut(mine);                              // already out: no effect
        }
        Assert.False(mine.IsDisposed);
        mine.Dispose();
        Assert.Equal(baseline, Torch.LiveTensorCount);
    }

    [Fact]
    public void MoveOutOfATensorAnotherScopeOwnsChangesNothing()
    {
        using var outer = Torch.NewDisposeScope();
        var x = Torch.Ones(1);
        using (var inner = Torch.NewDisposeScope())
            inner.MoveOut(x);
        Assert.False(x.IsDisposed);
        Assert.Equal(1, outer.OwnedCount);
    }

    [Fact]
    public void DetachTakesATensorOutOfEveryScope()
    {
        var baseline = Torch.LiveTensorCount;
        Tensor free;
        using (Torch.NewDisposeScope())
        using (Torch.NewDisposeScope())
            free = DisposeScope.Detach(Torch.Ones(4));
        Assert.False(free.IsDisposed);
        using (var sum = free.Sum())                 // outside any scope: the caller disposes
        {
            Assert.Equal(4.0, sum.Item());
            Assert.Equal(baseline + 2, Torch.LiveTensorCount);
        }
        free.Dispose();
        Assert.Equal(baseline, Torch.LiveTensorCount);
    }

    [Fact]
    public void AnExceptionInsideAScopeStillDisposes()
    {
        var baseline = Torch.LiveTensorCount;
        Tensor? made = null;
        Assert.Throws<TorchException>(() =>
        {
            using var scope = Torch.NewDisposeScope();
            made = Torch.Ones(2, 2);
            _ = made.MatMul(Torch.Ones(3, 3));
        });
        Assert.True(made!.IsDisposed);
        Assert.Null(DisposeScope.Current);
        Assert.Equal(baseline, Torch.LiveTensorCount);
    }

    [Fact]
    public void ScopesMustEndInReverseOrder()
    {
        var outer = Torch.NewDisposeScope();
        var inner = Torch.NewDisposeScope();
        Assert.Throws<InvalidOperationException>(() => outer.Dispose());
        inner.Dispose();
        outer.Dispose();
        outer.Dispose();
        Assert.Null(DisposeScope.Current);
    }

    [Fact]
    public void ScopesArePerThread()
    {
        using var scope = Torch.NewDisposeScope();
        Tensor? fromThread = null;
        var t = new Thread(() => fromThread = DisposeScope.Detach(Torch.Ones(1)));
        t.Start();
        t.Join();
        Assert.Equal(0, scope.OwnedCount);
        fromThread!.Dispose();
    }

    [Fact]
    public void ModuleParametersSurviveTheScopeTheyWereMadeIn()
    {
        var baseline = Torch.LiveTensorCount;
        Sequential model;
        using (Torch.NewDisposeScope())
        {
            model = new Sequential(new Linear(3, 4), new GroupNorm(2, 4), new Linear(4, 1));
            _ = model.Forward(Torch.Ones(2, 3));
        }
        Assert.All(model.Parameters(), p => Assert.False(p.IsDisposed));
        Assert.Equal(baseline + 6, Torch.LiveTensorCount);
        using (Torch.NewDisposeScope())
            Assert.Equal(new long[] { 5, 1 }, model.Forward(Torch.Ones(5, 3)).Shape);
        model.Dispose();
        Assert.Equal(baseline, Torch.LiveTensorCount);
    }

    [Fact]
    public void IndexingAndOptimizersLeaveNoHandlesBehind()
    {
        var baseline = Torch.LiveTensorCount;
        using (var scope = Torch.NewDisposeScope())
        {
            var x = Torch.Arange(24).Reshape(2, 3, 4);
            var before = Torch.LiveTensorCount;
            _ = x[1, 1..3, TensorIndex.NewAxis, ^1];
            Assert.Equal(before + 1, Torch.LiveTensorCount);   // the result only: the steps in between are freed
        }
        using (var model = new Sequential(new Linear(2, 2)))
        {
            using (var opt = new AdamW(model.TrainableParameters()))
            using (var sgd = new Sgd(model.TrainableParameters(), 0.1, momentum: 0.9))
            using (var ema = new ExponentialMovingAverage(model, 0.99))
            {
                using var scope = Torch.NewDisposeScope();
                model.Forward(Torch.Ones(1, 2)).Sum().Backward();
                opt.Step();
                sgd.Step();
                ema.Update();
                GradClip.ClipGradNorm(model.Parameters(), 1);
                opt.ZeroGrad();
            }
        }
        ProcessMemory.Settle();
        Assert.Equal(baseline, Torch.LiveTensorCount);
    }

    [Fact]
    public void EmaConstructionLeavesNothingForTheFinalizer()
    {
        using var model = new Sequential(new Linear(2, 3), new Linear(3, 1));
        ProcessMemory.Settle();
        var baseline = Torch.LiveTensorCount;
        var finalized = Tensor.FinalizedCount;
        var ema = new ExponentialMovingAverage(model, 0.9);   // outside any scope
        Assert.Equal(baseline + 4, Torch.LiveTensorCount);     // exactly one shadow per parameter
        ema.Dispose();
        ProcessMemory.Settle();
        Assert.Equal(baseline, Torch.LiveTensorCount);
        Assert.Equal(finalized, Tensor.FinalizedCount);
    }

    [Fact]
    public void AForgottenTensorIsFreedByTheFinalizerAndCounted()
    {
        ProcessMemory.Settle();
        var baseline = Torch.LiveTensorCount;
        var finalized = Tensor.FinalizedCount;
        Forget();
        ProcessMemory.Settle();
        Assert.Equal(baseline, Torch.LiveTensorCount);
        Assert.Equal(finalized + 1, Tensor.FinalizedCount);

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        static void Forget() => _ = Torch.Ones(8);
    }
}
