namespace DistillDiff.Formats.Safetensors;

/// <summary>Element sizes and header spellings of <see cref="SafetensorsDType"/>.</summary>
public static class SafetensorsDTypes
{
    private static readonly SafetensorsDType[] All = Enum.GetValues<SafetensorsDType>();

    /// <summary>Every dtype, in declaration order.</summary>
    public static IReadOnlyList<SafetensorsDType> Values => All;

    /// <summary>Bytes per element.</summary>
    public static int ElementSize(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.BOOL or SafetensorsDType.U8 or SafetensorsDType.I8
            or SafetensorsDType.F8_E5M2 or SafetensorsDType.F8_E4M3 => 1,
        SafetensorsDType.I16 or SafetensorsDType.U16 or SafetensorsDType.F16 or SafetensorsDType.BF16 => 2,
        SafetensorsDType.I32 or SafetensorsDType.U32 or SafetensorsDType.F32 => 4,
        SafetensorsDType.F64 or SafetensorsDType.I64 or SafetensorsDType.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not a safetensors dtype."),
    };

    /// <summary>The dtype string as written in a header, e.g. "BF16".</summary>
    public static string Format(SafetensorsDType dtype) =>
        Enum.IsDefined(dtype)
            ? dtype.ToString()
            : throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not a safetensors dtype.");

    /// <summary>Parses a header dtype string; matching is exact (case-sensitive), as in the reference loader.</summary>
    public static bool TryParse(string text, out SafetensorsDType dtype)
    {
        foreach (SafetensorsDType candidate in All)
        {
            if (string.Equals(candidate.ToString(), text, StringComparison.Ordinal))
            {
                dtype = candidate;
                return true;
            }
        }
        dtype = default;
        return false;
    }

    /// <inheritdoc cref="TryParse"/>
    public static SafetensorsDType Parse(string text) =>
        TryParse(text, out SafetensorsDType dtype)
            ? dtype
            : throw new FormatException($"Unknown safetensors dtype '{text}'; expected one of {string.Join(", ", All)}.");

    /// <summary>
    /// Rank in the reference implementation's Dtype enum (increasing alignment). The reference writer orders
    /// tensors by this rank descending, then by name, so matching it makes our files byte-identical to theirs.
    /// </summary>
    internal static int ReferenceRank(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.BOOL => 0,
        SafetensorsDType.U8 => 1,
        SafetensorsDType.I8 => 2,
        SafetensorsDType.F8_E5M2 => 3,
        SafetensorsDType.F8_E4M3 => 4,
        SafetensorsDType.I16 => 5,
        SafetensorsDType.U16 => 6,
        SafetensorsDType.F16 => 7,
        SafetensorsDType.BF16 => 8,
        SafetensorsDType.I32 => 9,
        SafetensorsDType.U32 => 10,
        SafetensorsDType.F32 => 11,
        SafetensorsDType.F64 => 12,
        SafetensorsDType.I64 => 13,
        SafetensorsDType.U64 => 14,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not a safetensors dtype."),
    };
}
