using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace DistillDiff.Formats.Safetensors;

/// <summary>
/// A validated, read-only safetensors file. <see cref="Open"/> memory-maps the file, so tensor bytes are read
/// lazily by the OS; spans and pointers handed out stay valid only until <see cref="Dispose"/>.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private GCHandle _pin;
    private byte* _base;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafetensorsTensorInfo> _byName;

    private SafetensorsFile(string path, byte* basePointer, long length, MemoryMappedFile? map,
        MemoryMappedViewAccessor? view, GCHandle pin)
    {
        Path = path;
        _base = basePointer;
        _map = map;
        _view = view;
        _pin = pin;
        SafetensorsHeader header = SafetensorsHeader.Read(path, basePointer, length);
        _dataStart = header.DataStart;
        Tensors = header.Tensors.AsReadOnly();
        Metadata = header.Metadata.AsReadOnly();
        _byName = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The file path, or the source name given to <see cref="Parse"/>.</summary>
    public string Path { get; }

    /// <summary>Tensors in the order of their bytes in the file.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>The header's <c>__metadata__</c>; empty when absent.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Absolute offset of the data buffer (8 + N); tensor offsets are relative to it.</summary>
    public long DataStart => _dataStart;

    /// <summary>Memory-maps and validates <paramref name="path"/>; throws <see cref="SafetensorsFormatException"/> if malformed.</summary>
    public static SafetensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // FileShare.Delete lets an atomic writer rename a new version over this one while it is mapped.
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1);
        long length = stream.Length;
        if (length < 8)
        {
            // An empty file cannot be mapped at all, so the short-file check happens before mapping.
            stream.Dispose();
            throw new SafetensorsFormatException(path, $"file is {length} bytes, shorter than the 8-byte header-size prefix");
        }

        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        bool acquired = false;
        try
        {
            map = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0, MemoryMappedFileAccess.Read,
                HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            acquired = true;
            return new SafetensorsFile(path, pointer + view.PointerOffset, length, map, view, default);
        }
        catch
        {
            if (acquired)
                view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            if (map is null)
                stream.Dispose();
            else
                map.Dispose();
            throw;
        }
    }

    /// <summary>Validates an in-memory safetensors buffer (pinned until disposal); errors name <paramref name="sourceName"/>.</summary>
    public static SafetensorsFile Parse(byte[] bytes, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(sourceName);
        GCHandle pin = GCHandle.Alloc(bytes, GCHandleType.Pinned);
        try
        {
            return new SafetensorsFile(sourceName, (byte*)pin.AddrOfPinnedObject(), bytes.LongLength, null, null, pin);
        }
        catch
        {
            pin.Free();
            throw;
        }
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    public SafetensorsTensorInfo this[string name] =>
        _byName.TryGetValue(name, out SafetensorsTensorInfo? info)
            ? info
            : throw new KeyNotFoundException(
                $"Safetensors file '{Path}' has no tensor named '{name}' (it holds {_byName.Count} tensors).");

    /// <summary>The tensor's raw little-endian bytes, valid until disposal.</summary>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        SafetensorsTensorInfo info = this[name];
        if (info.ByteLength > int.MaxValue)
            throw new InvalidOperationException(
                $"Tensor '{name}' in '{Path}' is {info.ByteLength} bytes, too large for a span; use {nameof(DataPointer)} instead.");
        return new ReadOnlySpan<byte>(Start(info), (int)info.ByteLength);
    }

    /// <summary>Address of the tensor's first byte, valid until disposal; for copying straight into native tensors.</summary>
    public IntPtr DataPointer(string name) => (IntPtr)Start(this[name]);

    /// <summary>Copies the tensor's bytes into <paramref name="destination"/>, which must be exactly its size.</summary>
    public void CopyTo(string name, Span<byte> destination)
    {
        SafetensorsTensorInfo info = this[name];
        if (destination.Length != info.ByteLength)
            throw new ArgumentException(
                $"Tensor '{name}' in '{Path}' is {info.ByteLength} bytes ({info.DType}[{string.Join(", ", info.Shape)}]) but the destination holds {destination.Length}.",
                nameof(destination));
        GetBytes(name).CopyTo(destination);
    }

    /// <summary>The tensor's elements widened to float; supports F32, F16, BF16 and F64.</summary>
    public float[] ReadFloats(string name)
    {
        SafetensorsTensorInfo info = this[name];
        ReadOnlySpan<byte> bytes = GetBytes(name);
        long count = bytes.Length / SafetensorsDTypes.ElementSize(info.DType);
        var values = new float[count];
        switch (info.DType)
        {
            case SafetensorsDType.F32:
                for (int i = 0; i < values.Length; i++)
                    values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
                break;
            case SafetensorsDType.F16:
                for (int i = 0; i < values.Length; i++)
                    values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(i * 2)..]);
                break;
            case SafetensorsDType.BF16:
                // bfloat16 is the upper half of an IEEE float32.
                for (int i = 0; i < values.Length; i++)
                    values[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i * 2)..]) << 16);
                break;
            case SafetensorsDType.F64:
                for (int i = 0; i < values.Length; i++)
                    values[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes[(i * 8)..]);
                break;
            default:
                throw new InvalidOperationException(
                    $"Tensor '{name}' in '{Path}' has dtype {info.DType}; {nameof(ReadFloats)} supports F32, F16, BF16 and F64.");
        }
        return values;
    }

    public void Dispose()
    {
        if (_base == null)
            return;
        _base = null;
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map?.Dispose();
        if (_pin.IsAllocated)
            _pin.Free();
    }

    private byte* Start(SafetensorsTensorInfo info)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        return _base + _dataStart + info.Begin;
    }
}
