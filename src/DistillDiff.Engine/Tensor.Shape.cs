namespace DistillDiff.Engine;

using static DistillDiff.Engine.Native.NativeMethods;

// Reductions, views, joins and indexing. Dims may be negative (counted from the end), as in PyTorch.
public sealed partial class Tensor
{
    private unsafe Tensor Reduce(delegate*<IntPtr, long*, int, int, IntPtr> f, long[] dims, bool keepDim, string op)
    {
        fixed (long* d = dims) return Wrap(f(Handle, d, dims.Length, keepDim ? 1 : 0), op);
    }

    /// <summary>Sum over all elements, or over the given dims.</summary>
    public unsafe Tensor Sum(params long[] dims) => Reduce(&dd_sum, dims, false, "sum");
    public unsafe Tensor Sum(long[] dims, bool keepDim) => Reduce(&dd_sum, dims, keepDim, "sum");
    public unsafe Tensor Mean(params long[] dims) => Reduce(&dd_mean, dims, false, "mean");
    public unsafe Tensor Mean(long[] dims, bool keepDim) => Reduce(&dd_mean, dims, keepDim, "mean");
    public unsafe Tensor Amax(params long[] dims) => Reduce(&dd_amax, dims, false, "amax");
    public unsafe Tensor Amax(long[] dims, bool keepDim) => Reduce(&dd_amax, dims, keepDim, "amax");
    public unsafe Tensor Amin(params long[] dims) => Reduce(&dd_amin, dims, false, "amin");
    public unsafe Tensor Amin(long[] dims, bool keepDim) => Reduce(&dd_amin, dims, keepDim, "amin");
    public Tensor Max() => Amax();
    public Tensor Min() => Amin();
    public unsafe Tensor LogSumExp(long[] dims, bool keepDim = false) => Reduce(&dd_logsumexp, dims, keepDim, "logsumexp");

    public unsafe Tensor Var(long[]? dims = null, bool unbiased = true, bool keepDim = false)
    {
        dims ??= [];
        fixed (long* d = dims) return Wrap(dd_var(Handle, d, dims.Length, unbiased ? 1 : 0, keepDim ? 1 : 0), "var");
    }

    public unsafe Tensor Std(long[]? dims = null, bool unbiased = true, bool keepDim = false)
    {
        dims ??= [];
        fixed (long* d = dims) return Wrap(dd_std(Handle, d, dims.Length, unbiased ? 1 : 0, keepDim ? 1 : 0), "std");
    }

    /// <summary>Vector p-norm over all elements or the given dims.</summary>
    public unsafe Tensor Norm(double p = 2, long[]? dims = null, bool keepDim = false)
    {
        dims ??= [];
        fixed (long* d = dims) return Wrap(dd_norm(Handle, p, d, dims.Length, keepDim ? 1 : 0), "norm");
    }

    public Tensor ArgMax(long dim, bool keepDim = false) => Wrap(dd_argmax(Handle, dim, keepDim ? 1 : 0), "argmax");
    public Tensor ArgMin(long dim, bool keepDim = false) => Wrap(dd_argmin(Handle, dim, keepDim ? 1 : 0), "argmin");
    public Tensor CumSum(long dim) => Wrap(dd_cumsum(Handle, dim), "cumsum");
    public Tensor Prod() => Wrap(dd_prod(Handle), "prod");
    public Tensor All() => Wrap(dd_all(Handle), "all");
    public Tensor Any() => Wrap(dd_any(Handle), "any");

    public unsafe (Tensor Values, Tensor Indices) Sort(long dim = -1, bool descending = false)
    {
        IntPtr idx;
        var v = Wrap(dd_sort(Handle, dim, descending ? 1 : 0, &idx), "sort");
        return (v, new Tensor(idx));
    }

    // ---- views ----
    private unsafe Tensor WithShape(delegate*<IntPtr, long*, int, IntPtr> f, long[] shape, string op)
    {
        fixed (long* s = shape) return Wrap(f(Handle, s, shape.Length), op);
    }

    public unsafe Tensor Reshape(params long[] shape) => WithShape(&dd_reshape, shape, "reshape");
    public unsafe Tensor View(params long[] shape) => WithShape(&dd_view, shape, "view");
    public unsafe Tensor Expand(params long[] shape) => WithShape(&dd_expand, shape, "expand");
    public unsafe Tensor Repeat(params long[] repeats) => WithShape(&dd_repeat, repeats, "repeat");
    public unsafe Tensor Permute(params long[] dims) => WithShape(&dd_permute, dims, "permute");
    public unsafe Tensor Flip(params long[] dims) => WithShape(&dd_flip, dims, "flip");
    public Tensor Transpose(long dim0, long dim1) => Wrap(dd_transpose(Handle, dim0, dim1), "transpose");
    /// <summary>Transpose of a 2-d tensor.</summary>
    public Tensor T => Transpose(0, 1);
    public Tensor Unsqueeze(long dim) => Wrap(dd_unsqueeze(Handle, dim), "unsqueeze");
    public Tensor Squeeze(long dim) => Wrap(dd_squeeze(Handle, dim, 0), "squeeze");
    public Tensor Squeeze() => Wrap(dd_squeeze(Handle, 0, 1), "squeeze");
    public Tensor Flatten(long startDim = 0, long endDim = -1) => Wrap(dd_flatten(Handle, startDim, endDim), "flatten");
    public Tensor ExpandAs(Tensor other) => Expand(other.Shape);
    public Tensor ReshapeAs(Tensor other) => Reshape(other.Shape);

    /// <summary>Elements start..end (exclusive) with a step along one dim; end may exceed the size.</summary>
    public Tensor Slice(long dim, long start, long end = long.MaxValue, long step = 1) =>
        Wrap(dd_slice(Handle, dim, start, end, step), "slice");
    public Tensor Select(long dim, long index) => Wrap(dd_select(Handle, dim, index), "select");
    public Tensor Narrow(long dim, long start, long length) => Wrap(dd_narrow(Handle, dim, start, length), "narrow");
    public Tensor IndexSelect(long dim, Tensor index) => Wrap(dd_index_select(Handle, dim, index.Handle), "index_select");
    /// <summary>Advanced indexing along dim 0 with an int64 index tensor or a bool mask (x[idx] in PyTorch).</summary>
    public Tensor Index(Tensor index) => Wrap(dd_index_tensor(Handle, index.Handle), "index");
    public Tensor MaskedSelect(Tensor mask) => Wrap(dd_masked_select(Handle, mask.Handle), "masked_select");
    public Tensor Gather(long dim, Tensor index) => Wrap(dd_gather(Handle, dim, index.Handle), "gather");
    public Tensor RepeatInterleave(long repeats, long dim) => Wrap(dd_repeat_interleave(Handle, repeats, dim), "repeat_interleave");
    public Tensor Tril(long diagonal = 0) => Wrap(dd_tril(Handle, diagonal), "tril");

    /// <summary>x[i] selects along dim 0; x[a..b] slices dim 0.</summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public Tensor this[long index] => Select(0, index);
    [System.Runtime.CompilerServices.IndexerName("At")]
    public Tensor this[Range range] => SliceRange(0, range);

    /// <summary>Several indices at once, one per leading dim, as x[0, 1..3, ..] in PyTorch: ints and ^n select, ranges slice.</summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public Tensor this[params TensorIndex[] indices]
    {
        get
        {
            var current = this;
            var dim = 0L;
            using var scope = Torch.NewDisposeScope();
            foreach (var ix in indices)
            {
                current = ix.Kind switch
                {
                    TensorIndex.IndexKind.Single => current.Select(dim, ix.Single),
                    TensorIndex.IndexKind.FromEnd => current.Select(dim, current.Size((int)dim) - ix.Single),
                    TensorIndex.IndexKind.Range => current.SliceRange(dim++, ix.Range),
                    TensorIndex.IndexKind.NewAxis => current.Unsqueeze(dim++),
                    _ => throw new InvalidOperationException("unknown index kind"),
                };
            }
            return ReferenceEquals(current, this) ? scope.MoveOut(Alias()) : scope.MoveOut(current);
        }
    }

    private Tensor SliceRange(long dim, Range r)
    {
        var n = Size((int)dim);
        var start = r.Start.IsFromEnd ? n - r.Start.Value : r.Start.Value;
        var end = r.End.IsFromEnd ? n - r.End.Value : r.End.Value;
        return Slice(dim, start, end);
    }

    public unsafe Tensor[] Chunk(long chunks, long dim = 0)
    {
        var hs = new IntPtr[chunks];
        int n;
        fixed (IntPtr* p = hs) n = dd_chunk(Handle, chunks, dim, p, hs.Length);
        Check(n, "chunk");
        return WrapAll(hs, n)!;
    }

    public unsafe Tensor[] Split(long[] sizes, long dim = 0)
    {
        var hs = new IntPtr[sizes.Length];
        int n;
        fixed (IntPtr* p = hs)
        fixed (long* s = sizes) n = dd_split(Handle, s, sizes.Length, dim, p, hs.Length);
        Check(n, "split");
        return WrapAll(hs, n)!;
    }
}
