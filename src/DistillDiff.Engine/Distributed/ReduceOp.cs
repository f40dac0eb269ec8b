namespace DistillDiff.Engine.Distributed;

/// <summary>How <see cref="ProcessGroup.AllReduce"/> combines the ranks' values (codes as in native/src/distributed.cpp).</summary>
public enum ReduceOp
{
    Sum = 0,
    Average = 1,
    Max = 2,
    Min = 3,
}
