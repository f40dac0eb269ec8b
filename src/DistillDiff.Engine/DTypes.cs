namespace DistillDiff.Engine;

/// <summary>Facts about <see cref="DType"/> values and the .NET types that match them.</summary>
public static class DTypes
{
    public static int ElementSize(this DType t) => t switch
    {
        DType.UInt8 or DType.Int8 or DType.Bool => 1,
        DType.Int16 or DType.Float16 or DType.BFloat16 => 2,
        DType.Int32 or DType.Float32 => 4,
        DType.Int64 or DType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown dtype"),
    };

    public static bool IsFloatingPoint(this DType t) =>
        t is DType.Float16 or DType.BFloat16 or DType.Float32 or DType.Float64;

    /// <summary>The dtype whose elements have the layout of T (Half for f16; bf16 has no .NET type).</summary>
    public static DType Of<T>() where T : unmanaged => typeof(T) switch
    {
        var t when t == typeof(float) => DType.Float32,
        var t when t == typeof(double) => DType.Float64,
        var t when t == typeof(Half) => DType.Float16,
        var t when t == typeof(long) => DType.Int64,
        var t when t == typeof(int) => DType.Int32,
        var t when t == typeof(short) => DType.Int16,
        var t when t == typeof(byte) => DType.UInt8,
        var t when t == typeof(sbyte) => DType.Int8,
        var t when t == typeof(bool) => DType.Bool,
        var t => throw new ArgumentException($"no tensor dtype matches the .NET type {t.Name}"),
    };

    /// <summary>Parses PyTorch-style names: float32/f32/float, float16/half, bfloat16/bf16, int64/long, bool...</summary>
    public static DType Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "float32" or "f32" or "float" or "fp32" => DType.Float32,
        "float64" or "f64" or "double" or "fp64" => DType.Float64,
        "float16" or "f16" or "half" or "fp16" => DType.Float16,
        "bfloat16" or "bf16" => DType.BFloat16,
        "int64" or "i64" or "long" => DType.Int64,
        "int32" or "i32" or "int" => DType.Int32,
        "int16" or "i16" => DType.Int16,
        "int8" or "i8" => DType.Int8,
        "uint8" or "u8" or "byte" => DType.UInt8,
        "bool" => DType.Bool,
        _ => throw new ArgumentException(
            $"unknown dtype '{name}' (expected one of float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool)"),
    };

    public static string Name(this DType t) => t switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.Float16 => "float16",
        DType.BFloat16 => "bfloat16",
        DType.Int64 => "int64",
        DType.Int32 => "int32",
        DType.Int16 => "int16",
        DType.Int8 => "int8",
        DType.UInt8 => "uint8",
        DType.Bool => "bool",
        _ => t.ToString(),
    };
}
