namespace DistillDiff.Formats.PyTorch;

using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using DistillDiff.Formats.Safetensors;
using static DistillDiff.Formats.PyTorch.WeightsOnlyUnpickler;

/// <summary>
/// PyTorch checkpoints (.pt, .pth, .bin, .ckpt) read as weights only, what TorchSharp.PyBridge gives TorchSharp users:
/// <list type="bullet">
/// <item>torch.save's zip format (PyTorch 1.6+): {name}/data.pkl, a pickle whose tensors reference storages
/// {name}/data/{key} by persistent id;</item>
/// <item>the older non-zip format: a magic-number pickle, the protocol version, system info, the object pickle, the
/// list of storage keys, then each storage as an int64 element count and its bytes.</item>
/// </list>
/// The pickle is read by <see cref="WeightsOnlyUnpickler"/>, which builds containers and tensors only and refuses any
/// other global by name without running anything. Tensors are materialised contiguous, whatever view was saved; a
/// view may not read past its storage, nor materialise more bytes than its storage holds (no unbounded memory from a
/// crafted stride). Checkpoints often nest the weights ({"state_dict": ..., "ema": ..., "optimizer": ...}):
/// <see cref="ReadStateDict"/> takes the path of the one to use, or finds it when there is only one.
/// </summary>
public static class PyTorchCheckpoint
{
    private const long MaxPickleBytes = 1L << 30;
    private static readonly BigInteger LegacyMagic = BigInteger.Parse("0" + "1950a86a20f9469cfc6c", System.Globalization.NumberStyles.HexNumber);

    /// <summary>The whole checkpoint as Python values: <see cref="PickleDict"/>, List (list), object?[] (tuple), string,
    /// long, double, bool, byte[], null, and <see cref="PyTorchTensor"/>.</summary>
    public static object? Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such checkpoint", path);
        try
        {
            using var file = File.OpenRead(path);
            Span<byte> head = stackalloc byte[4];
            var isZip = file.Read(head) == 4 && head.SequenceEqual("PK\u0003\u0004"u8);
            file.Position = 0;
            return isZip ? LoadZip(file, path) : LoadLegacy(file, path);
        }
        catch (EndOfStreamException)
        {
            throw new PyTorchFormatException($"{path}: the checkpoint ends early (truncated?)");
        }
        catch (InvalidDataException e)
        {
            throw new PyTorchFormatException($"{path}: not a readable zip archive ({e.Message})");
        }
    }

    /// <summary>
    /// The flat name -> tensor map of one state dict. <paramref name="key"/> is a '/'-separated path of dict keys from the
    /// top ("state_dict", "ema", "model/ema"); null takes the top level if it holds tensors, else the one nested dict
    /// that does, and refuses, listing them, when there are several. Nested dicts inside the chosen one are flattened
    /// with '.' (module paths); None values are skipped.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, PyTorchTensor>> ReadStateDict(string path, string? key = null)
    {
        var root = Load(path);
        PickleDict chosen;
        if (key is not null)
        {
            object? node = root;
            foreach (var part in key.Split('/'))
            {
                if (node is not PickleDict d || !d.TryGet(part, out node))
                    throw new PyTorchFormatException($"{path}: no '{key}' in the checkpoint (it has: {string.Join(", ", Candidates(root).DefaultIfEmpty("no nested state dicts"))})");
            }
            chosen = node as PickleDict ?? throw new PyTorchFormatException($"{path}: '{key}' is not a dict of tensors");
        }
        else if (root is PickleDict top && top.Any(p => p.Value is PyTorchTensor))
        {
            chosen = top;
        }
        else
        {
            var candidates = Candidates(root);
            if (candidates.Count != 1)
                throw new PyTorchFormatException(candidates.Count == 0
                    ? $"{path}: the checkpoint holds no dict of tensors"
                    : $"{path}: the checkpoint holds several state dicts ({string.Join(", ", candidates)}); choose one (--key)");
            return ReadStateDict(path, candidates[0]);
        }
        var result = new List<KeyValuePair<string, PyTorchTensor>>();
        Flatten(chosen, "", result, path, key ?? "(top level)");
        if (result.Count == 0) throw new PyTorchFormatException($"{path}: '{key}' holds no tensors");
        return result;
    }

    /// <summary>The state dict as safetensors entries (names and dtypes kept).</summary>
    public static IReadOnlyList<SafetensorsTensor> ToSafetensors(IEnumerable<KeyValuePair<string, PyTorchTensor>> stateDict) =>
        stateDict.Select(p => new SafetensorsTensor(p.Key, p.Value.DType, p.Value.Shape, p.Value.Data)).ToList();

    /// <summary>Paths ('/'-separated) of the nested dicts that hold tensors.</summary>
    private static List<string> Candidates(object? root)
    {
        var found = new List<string>();
        void Walk(object? node, string prefix, int depth)
        {
            if (node is not PickleDict d || depth > 3) return;
            foreach (var (k, v) in d)
            {
                if (v is not PickleDict child) continue;
                var p = prefix.Length == 0 ? k.ToString()! : $"{prefix}/{k}";
                if (child.Any(e => e.Value is PyTorchTensor)) found.Add(p);
                else Walk(child, p, depth + 1);
            }
        }
        Walk(root, "", 0);
        return found;
    }

    private static void Flatten(PickleDict d, string prefix, List<KeyValuePair<string, PyTorchTensor>> into, string path, string key)
    {
        foreach (var (k, v) in d)
        {
            var name = prefix + k;
            switch (v)
            {
                case PyTorchTensor t: into.Add(new(name, t)); break;
                case PickleDict child: Flatten(child, name + ".", into, path, key); break;
                case null: break;
                default:
                    throw new PyTorchFormatException($"{path}: '{key}' entry '{name}' is a {v.GetType().Name}, not a tensor; choose the dict of weights (--key)");
            }
        }
    }

    private static object? LoadZip(Stream file, string path)
    {
        using var zip = new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true);
        var pkl = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1)
                  ?? throw new PyTorchFormatException($"{path}: a zip archive without <name>/data.pkl, so not a torch.save checkpoint");
        var prefix = pkl.FullName[..^"data.pkl".Length];
        if (zip.GetEntry(prefix + "byteorder") is { } order && ReadEntry(order, 16, path) is var bytes
            && System.Text.Encoding.ASCII.GetString(bytes).Trim() != "little")
            throw new PyTorchFormatException($"{path}: big-endian storages are not supported");
        using var pickle = new MemoryStream(ReadEntry(pkl, MaxPickleBytes, path));
        var root = new WeightsOnlyUnpickler(pickle, path, pid => StorageRefOf(pid, path, legacy: false)).Load();
        var storages = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        byte[] Storage(StorageRef s)
        {
            if (storages.TryGetValue(s.Key, out var cached)) return cached;
            var entry = zip.GetEntry($"{prefix}data/{s.Key}") ?? throw new PyTorchFormatException($"{path}: storage {prefix}data/{s.Key} is missing");
            var expected = checked(s.NumEl * s.Type.ElementSize);
            if (entry.Length < expected)
                throw new PyTorchFormatException($"{path}: storage {s.Key} has {entry.Length} bytes, its {s.NumEl} {s.Type.DType} elements need {expected}");
            return storages[s.Key] = ReadEntry(entry, expected, path);
        }
        return Materialise(root, Storage, path, 0);
    }

    private static object? LoadLegacy(Stream file, string path)
    {
        object? Next(Func<object?[], object?> pid) => new WeightsOnlyUnpickler(file, path, pid).Load();
        object? NoPid(object?[] _) => throw new PyTorchFormatException($"{path}: a storage reference outside the object pickle");
        object? magic;
        try
        {
            magic = Next(NoPid);
        }
        catch (PyTorchFormatException e) when (file.Position <= 2)
        {
            throw new PyTorchFormatException($"{path}: neither a zip archive nor a pickle ({e.Message})");
        }
        if (magic is not BigInteger m || m != LegacyMagic)
            throw new PyTorchFormatException($"{path}: not a PyTorch checkpoint (no zip archive, and the first pickle is not torch's magic number)");
        if (Next(NoPid) is not 1001L) throw new PyTorchFormatException($"{path}: unknown legacy protocol version");
        if (Next(NoPid) is PickleDict info && info.TryGet("little_endian", out var little) && little is false)
            throw new PyTorchFormatException($"{path}: big-endian storages are not supported");
        var types = new Dictionary<string, StorageRef>(StringComparer.Ordinal);
        var root = Next(pid =>
        {
            var s = StorageRefOf(pid, path, legacy: true);
            types.TryAdd(s.Key, s);
            return s;
        });
        var keys = Next(NoPid) as List<object?> ?? throw new PyTorchFormatException($"{path}: the storage key list is missing");
        var storages = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        Span<byte> count = stackalloc byte[8];
        foreach (var k in keys)
        {
            var key = k as string ?? throw new PyTorchFormatException($"{path}: a storage key is not a string");
            if (!types.TryGetValue(key, out var s)) throw new PyTorchFormatException($"{path}: storage {key} is listed but never used");
            file.ReadExactly(count);
            var numel = BinaryPrimitives.ReadInt64LittleEndian(count);
            var bytes = checked(numel * s.Type.ElementSize);
            if (numel < 0 || bytes > file.Length - file.Position)
                throw new PyTorchFormatException($"{path}: storage {key} claims {numel} elements, past the end of the file");
            var data = new byte[bytes];
            file.ReadExactly(data);
            storages[key] = data;
        }
        return Materialise(root, s => storages.TryGetValue(s.Key, out var d) ? d : throw new PyTorchFormatException($"{path}: storage {s.Key} is missing"), path, 0);
    }

    private static StorageRef StorageRefOf(object?[] pid, string path, bool legacy)
    {
        if (pid.Length < 5 || pid[0] is not "storage" || pid[1] is not StorageType type || pid[2] is not string key || pid[4] is not long numel || numel < 0)
            throw new PyTorchFormatException($"{path}: a persistent id that is not ('storage', <torch.*Storage>, key, location, numel)");
        if (legacy && pid.Length > 5 && pid[5] is not null)
            throw new PyTorchFormatException($"{path}: storage views of the legacy format are not supported");
        return new StorageRef(type, key, numel);
    }

    private static object? Materialise(object? node, Func<StorageRef, byte[]> storage, string path, int depth)
    {
        if (depth > 64) throw new PyTorchFormatException($"{path}: containers nested more than 64 deep");
        switch (node)
        {
            case TensorView v: return Tensor(v, storage(v.Storage), path);
            case PickleDict d:
                for (var i = 0; i < d.Count; i++) d[i] = new(d[i].Key, Materialise(d[i].Value, storage, path, depth + 1));
                return d;
            case List<object?> l:
                for (var i = 0; i < l.Count; i++) l[i] = Materialise(l[i], storage, path, depth + 1);
                return l;
            case object?[] t:
                for (var i = 0; i < t.Length; i++) t[i] = Materialise(t[i], storage, path, depth + 1);
                return t;
            default:
                return node;
        }
    }

    /// <summary>Gathers a strided view of a storage into contiguous row-major bytes.</summary>
    private static PyTorchTensor Tensor(TensorView v, byte[] storage, string path)
    {
        var (size, stride, es) = (v.Size, v.Stride, v.Storage.Type.ElementSize);
        if (size.Length != stride.Length || size.Any(s => s < 0) || stride.Any(s => s < 0) || v.Offset < 0)
            throw new PyTorchFormatException($"{path}: a tensor view with size [{string.Join(", ", size)}], stride [{string.Join(", ", stride)}]");
        long numel = 1;
        foreach (var s in size) numel = checked(numel * s);
        var storageNumel = storage.Length / es;
        if (checked(numel * es) > storage.Length)
            throw new PyTorchFormatException($"{path}: a tensor of {numel} elements from a storage of {storageNumel} (an overlapping view; not materialised)");
        if (numel > 0)
        {
            var last = v.Offset;
            for (var d = 0; d < size.Length; d++) last = checked(last + (size[d] - 1) * stride[d]);
            if (last >= storageNumel)
                throw new PyTorchFormatException($"{path}: a tensor view reads element {last} of a storage of {storageNumel}");
        }
        var data = new byte[numel * es];
        var contiguous = true;
        for (long d = size.Length - 1, expect = 1; d >= 0; expect *= size[d], d--)
            if (size[d] != 1 && stride[d] != expect) contiguous = false;
        if (contiguous)
        {
            Array.Copy(storage, v.Offset * es, data, 0, data.Length);
        }
        else
        {
            var index = new long[size.Length];
            for (long i = 0; i < numel; i++)
            {
                var src = v.Offset;
                for (var d = 0; d < size.Length; d++) src += index[d] * stride[d];
                Array.Copy(storage, src * es, data, i * es, es);
                for (var d = size.Length - 1; d >= 0 && ++index[d] == size[d]; d--) index[d] = 0;
            }
        }
        return new PyTorchTensor(v.Storage.Type.DType, size, data);
    }

    private static byte[] ReadEntry(ZipArchiveEntry entry, long limit, string path)
    {
        if (entry.Length > limit) throw new PyTorchFormatException($"{path}: {entry.FullName} is {entry.Length} bytes, more than the {limit} expected");
        var data = new byte[entry.Length];
        using var s = entry.Open();
        s.ReadExactly(data);
        return data;
    }
}
