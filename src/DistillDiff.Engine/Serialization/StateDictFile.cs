namespace DistillDiff.Engine.Serialization;

using DistillDiff.Engine.Nn;
using DistillDiff.Formats.Safetensors;

/// <summary>
/// State dicts as safetensors files, the format diffusers and PyTorch read and write, so checkpoints move between
/// DistillDiff and PyTorch both ways. Writes are atomic (temporary file, then rename): a crash mid-save leaves the
/// previous file intact. Files written here carry a CRC-32C of each tensor's bytes in __metadata__
/// (<see cref="SafetensorsChecksums"/>), verified on load when present; files from elsewhere load without it.
/// </summary>
public static class StateDictFile
{
    /// <summary>libtorch's own limit on tensor rank (at::Tensor dimensions are stored in a small vector, but kernels cap at 64).</summary>
    public const int MaxRank = 64;

    /// <summary>Writes the tensors (any device; copied to host) with diffusers' {"format": "pt"} metadata plus <paramref name="metadata"/> and per-tensor checksums.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = new List<SafetensorsTensor>(tensors.Count);
        foreach (var (name, t) in tensors)
            entries.Add(new SafetensorsTensor(name, ToSafetensors(t.DType, name), t.Shape, t.ToBytes()));
        var meta = new Dictionary<string, string>(StringComparer.Ordinal) { ["format"] = "pt" };
        if (metadata != null)
            foreach (var (k, v) in metadata) meta[k] = v;
        SafetensorsWriter.Write(path, entries, SafetensorsChecksums.With(entries, meta));
    }

    /// <summary>Saves a module's parameters and persistent buffers under their dotted names.</summary>
    public static void Save(string path, Module module, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(path, module.StateDict(), metadata);

    /// <summary>
    /// Reads every tensor onto <paramref name="device"/>. The returned tensors are owned by the caller (outside any
    /// dispose scope): dispose them, e.g. with <see cref="DisposeAll"/>. Refuses (with the file and tensor names)
    /// a file whose checksums do not match, a tensor of more than <see cref="MaxRank"/> dimensions, and, unless
    /// <paramref name="allowNonFinite"/>, floating-point tensors holding NaN or infinity: such weights only ever
    /// produce blank samples or a diverged run much later.
    /// </summary>
    public static unsafe Dictionary<string, Tensor> Load(string path, Device? device = null, bool allowNonFinite = false)
    {
        using var file = SafetensorsFile.Open(path);
        SafetensorsChecksums.Verify(file);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var info in file.Tensors)
            {
                if (info.Shape.Length > MaxRank)
                    throw new InvalidDataException($"{path}: tensor '{info.Name}' has {info.Shape.Length} dimensions; at most {MaxRank} are supported");
                var dtype = FromSafetensors(info.DType, path, info.Name);
                var t = Torch.FromPointer((void*)file.DataPointer(info.Name), info.ByteLength, info.Shape, dtype, device);
                result[info.Name] = DisposeScope.Detach(t);
            }
            if (!allowNonFinite)
                CheckFinite(path, result);
        }
        catch
        {
            DisposeAll(result);
            throw;
        }
        return result;
    }

    /// <summary>The file's __metadata__ without reading any tensor data.</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        using var file = SafetensorsFile.Open(path);
        return new Dictionary<string, string>(file.Metadata);
    }

    /// <summary>Loads a file into a module (strict by default: names and shapes must match exactly).</summary>
    public static StateDictLoadResult LoadInto(Module module, string path, bool strict = true)
    {
        var sd = Load(path);
        try
        {
            return module.LoadStateDict(sd, strict);
        }
        catch (StateDictMismatchException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        finally
        {
            DisposeAll(sd);
        }
    }

    private static void CheckFinite(string path, Dictionary<string, Tensor> tensors)
    {
        var floats = tensors.Where(kv => kv.Value.DType.IsFloatingPoint()).ToList();
        if (floats.Count == 0 || Torch.AllFinite(floats.Select(kv => kv.Value).ToList()))
            return;
        var bad = floats.Where(kv => !Torch.AllFinite([kv.Value])).Select(kv => kv.Key).ToList();
        throw new InvalidDataException(
            $"{path}: {bad.Count} tensor(s) hold NaN or infinite values: {string.Join(", ", bad.Take(10))}{(bad.Count > 10 ? $" and {bad.Count - 10} more" : "")}" +
            " (the run that wrote them diverged, or the file is damaged)");
    }

    public static void DisposeAll(Dictionary<string, Tensor> tensors)
    {
        foreach (var t in tensors.Values) t.Dispose();
        tensors.Clear();
    }

    private static SafetensorsDType ToSafetensors(DType d, string name) => d switch
    {
        DType.Float32 => SafetensorsDType.F32,
        DType.Float64 => SafetensorsDType.F64,
        DType.Float16 => SafetensorsDType.F16,
        DType.BFloat16 => SafetensorsDType.BF16,
        DType.Int64 => SafetensorsDType.I64,
        DType.Int32 => SafetensorsDType.I32,
        DType.Int16 => SafetensorsDType.I16,
        DType.Int8 => SafetensorsDType.I8,
        DType.UInt8 => SafetensorsDType.U8,
        DType.Bool => SafetensorsDType.BOOL,
        _ => throw new ArgumentException($"tensor '{name}' has dtype {d}, which safetensors cannot store"),
    };

    private static DType FromSafetensors(SafetensorsDType d, string path, string name) => d switch
    {
        SafetensorsDType.F32 => DType.Float32,
        SafetensorsDType.F64 => DType.Float64,
        SafetensorsDType.F16 => DType.Float16,
        SafetensorsDType.BF16 => DType.BFloat16,
        SafetensorsDType.I64 => DType.Int64,
        SafetensorsDType.I32 => DType.Int32,
        SafetensorsDType.I16 => DType.Int16,
        SafetensorsDType.I8 => DType.Int8,
        SafetensorsDType.U8 => DType.UInt8,
        SafetensorsDType.BOOL => DType.Bool,
        _ => throw new InvalidDataException(
            $"{path}: tensor '{name}' has dtype {SafetensorsDTypes.Format(d)}, which libtorch tensors here do not support " +
            "(supported: F32 F64 F16 BF16 I64 I32 I16 I8 U8 BOOL)"),
    };
}
