namespace DistillDiff.Engine;

/// <summary>One entry of a multi-index: an int or ^n (select), a Range (slice) or <see cref="NewAxis"/> (unsqueeze).</summary>
public readonly struct TensorIndex
{
    internal enum IndexKind { Single, FromEnd, Range, NewAxis }

    private TensorIndex(IndexKind kind, long single, Range range)
    {
        Kind = kind;
        Single = single;
        Range = range;
    }

    internal IndexKind Kind { get; }
    internal long Single { get; }
    internal Range Range { get; }

    public static readonly TensorIndex NewAxis = new(IndexKind.NewAxis, 0, default);

    public static implicit operator TensorIndex(long i) => new(IndexKind.Single, i, default);
    public static implicit operator TensorIndex(int i) => new(IndexKind.Single, i, default);
    public static implicit operator TensorIndex(Range r) => new(IndexKind.Range, 0, r);

    /// <summary>^n selects the n-th element from the end (x[^1] is PyTorch's x[-1]).</summary>
    public static implicit operator TensorIndex(Index i) => i.IsFromEnd ? new(IndexKind.FromEnd, i.Value, default) : new(IndexKind.Single, i.Value, default);
}
