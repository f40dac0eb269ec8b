namespace DistillDiff.Formats.PyTorch;

using System.Buffers.Binary;
using System.Text;
using DistillDiff.Formats.Safetensors;

/// <summary>
/// A pickle reader that only builds data: it knows the opcodes of pickle protocols 2-5 that build values, and the
/// handful of globals PyTorch's weights_only loader allows for tensors and containers (collections.OrderedDict,
/// torch._utils._rebuild_tensor_v2 / _rebuild_parameter, torch.*Storage, torch.Size, torch.device, builtins.set,
/// _codecs.encode). It never imports or calls anything: a global outside that list (os.system, a class of the
/// training script) is refused by name when the GLOBAL opcode names it, before anything could use it. Tensors come out
/// as <see cref="TensorView"/>s (storage, offset, size, stride) that the caller materialises once the storages are read.
/// </summary>
internal sealed class WeightsOnlyUnpickler
{
    internal sealed record Global(string Module, string Name)
    {
        public override string ToString() => $"{Module}.{Name}";
    }

    internal sealed record StorageType(SafetensorsDType DType, int ElementSize);

    /// <summary>persistent_load's ('storage', type, key, location, numel): a storage to read by key.</summary>
    internal sealed record StorageRef(StorageType Type, string Key, long NumEl);

    internal sealed record TensorView(StorageRef Storage, long Offset, long[] Size, long[] Stride);

    private static readonly Dictionary<string, StorageType> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = new(SafetensorsDType.F32, 4),
        ["DoubleStorage"] = new(SafetensorsDType.F64, 8),
        ["HalfStorage"] = new(SafetensorsDType.F16, 2),
        ["BFloat16Storage"] = new(SafetensorsDType.BF16, 2),
        ["LongStorage"] = new(SafetensorsDType.I64, 8),
        ["IntStorage"] = new(SafetensorsDType.I32, 4),
        ["ShortStorage"] = new(SafetensorsDType.I16, 2),
        ["CharStorage"] = new(SafetensorsDType.I8, 1),
        ["ByteStorage"] = new(SafetensorsDType.U8, 1),
        ["BoolStorage"] = new(SafetensorsDType.BOOL, 1),
    };

    private static readonly HashSet<string> AllowedGlobals =
    [
        "collections.OrderedDict", "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state", "torch._tensor._rebuild_from_type_v2",
        "torch.Tensor", "torch.nn.parameter.Parameter", "torch.Size", "torch.device", "builtins.set", "builtins.frozenset",
        "_codecs.encode",
    ];

    /// <summary>The globals this reader allows, for error messages.</summary>
    internal static string AllowedList => string.Join(", ", AllowedGlobals.Concat(StorageTypes.Keys.Select(k => "torch." + k)).Order(StringComparer.Ordinal));

    private readonly Stream _in;
    private readonly string _source;
    private readonly Func<object?[], object?> _persistentLoad;
    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = [];

    /// <param name="persistentLoad">Resolves BINPERSID's tuple (PyTorch's storage references).</param>
    public WeightsOnlyUnpickler(Stream input, string source, Func<object?[], object?> persistentLoad)
    {
        _in = input;
        _source = source;
        _persistentLoad = persistentLoad;
    }

    /// <summary>Reads one pickle (up to its STOP) from the current position.</summary>
    public object? Load()
    {
        while (true)
        {
            var op = ReadByte();
            switch (op)
            {
                case 0x80: ReadByte(); break;                                   // PROTO
                case 0x95: ReadBytes(8); break;                                 // FRAME (a length hint)
                case (byte)'.': return Pop();                                   // STOP
                case (byte)'(': _marks.Push(_stack.Count); break;               // MARK
                case (byte)'}': Push(new PickleDict()); break;                  // EMPTY_DICT
                case (byte)']': Push(new List<object?>()); break;               // EMPTY_LIST
                case (byte)')': Push(Array.Empty<object?>()); break;            // EMPTY_TUPLE
                case 0x8f: Push(new List<object?>()); break;                    // EMPTY_SET (a list here)
                case (byte)'t': Push(PopMark().ToArray()); break;               // TUPLE
                case 0x85: Push(new[] { Pop() }); break;                        // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; }          // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; } // TUPLE3
                case (byte)'l': Push(PopMark()); break;                         // LIST
                case (byte)'d': Push(DictOf(PopMark())); break;                 // DICT
                case 0x91: Push(PopMark()); break;                              // FROZENSET
                case (byte)'a': { var v = Pop(); AsList(Peek(), "APPEND").Add(v); break; }
                case (byte)'e': case 0x90: { var items = PopMark(); AsList(Peek(), "APPENDS").AddRange(items); break; } // APPENDS, ADDITEMS
                case (byte)'s': { var v = Pop(); var k = Pop(); AsDict(Peek(), "SETITEM").Set(Key(k), v); break; }
                case (byte)'u':                                                 // SETITEMS
                {
                    var items = PopMark();
                    var d = AsDict(Peek(), "SETITEMS");
                    for (var i = 0; i + 1 < items.Count; i += 2) d.Set(Key(items[i]), items[i + 1]);
                    break;
                }
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break; // BININT
                case (byte)'K': Push((long)ReadByte()); break;                  // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break; // BININT2
                case 0x8a: Push(Long(ReadBytes(ReadByte()))); break;            // LONG1
                case 0x8b: Push(Long(ReadBytes(Length(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)))))); break; // LONG4
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break; // BINFLOAT
                case (byte)'N': Push(null); break;                              // NONE
                case 0x88: Push(true); break;                                   // NEWTRUE
                case 0x89: Push(false); break;                                  // NEWFALSE
                case (byte)'X': Push(Utf8(ReadBytes(Length(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)))))); break; // BINUNICODE
                case 0x8c: Push(Utf8(ReadBytes(ReadByte()))); break;            // SHORT_BINUNICODE
                case 0x8d: Push(Utf8(ReadBytes(Length(BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8)))))); break; // BINUNICODE8
                case (byte)'T': Push(Encoding.Latin1.GetString(ReadBytes(Length(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)))))); break; // BINSTRING
                case (byte)'U': Push(Encoding.Latin1.GetString(ReadBytes(ReadByte()))); break; // SHORT_BINSTRING
                case (byte)'B': Push(ReadBytes(Length(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))))); break; // BINBYTES
                case (byte)'C': Push(ReadBytes(ReadByte())); break;             // SHORT_BINBYTES
                case 0x8e: Push(ReadBytes(Length(BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8))))); break; // BINBYTES8
                case (byte)'q': _memo[ReadByte()] = Peek(); break;              // BINPUT
                case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))] = Peek(); break; // LONG_BINPUT
                case 0x94: _memo[_memo.Count] = Peek(); break;                  // MEMOIZE
                case (byte)'h': Push(Memo(ReadByte())); break;                  // BINGET
                case (byte)'j': Push(Memo(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)))); break; // LONG_BINGET
                case (byte)'0': Pop(); break;                                   // POP
                case (byte)'1': PopMark(); break;                               // POP_MARK
                case (byte)'2': Push(Peek()); break;                            // DUP
                case (byte)'c': Push(CheckedGlobal(ReadLine(), ReadLine())); break; // GLOBAL
                case 0x93:                                                      // STACK_GLOBAL
                {
                    var name = Pop() as string;
                    var module = Pop() as string;
                    if (module is null || name is null) throw Fail("STACK_GLOBAL needs two strings");
                    Push(CheckedGlobal(module, name));
                    break;
                }
                case (byte)'R': { var args = Pop(); var f = Pop(); Push(Reduce(f, AsTuple(args, "REDUCE"))); break; } // REDUCE
                case 0x81: { var args = Pop(); var cls = Pop(); Push(NewObj(cls, AsTuple(args, "NEWOBJ"))); break; } // NEWOBJ
                case (byte)'b': { var state = Pop(); Build(Peek(), state); break; } // BUILD
                case (byte)'Q': Push(_persistentLoad(AsTuple(Pop(), "BINPERSID"))); break; // BINPERSID
                default:
                    throw Fail($"pickle opcode 0x{op:x2} ('{(op is >= 32 and < 127 ? (char)op : '?')}') is not one weights-only loading reads " +
                               "(it builds objects by calling them, or is a text-protocol opcode)");
            }
        }
    }

    private object CheckedGlobal(string module, string name)
    {
        var g = new Global(module, name);
        if (module == "torch" && StorageTypes.TryGetValue(name, out var storage)) return storage;
        if (!AllowedGlobals.Contains(g.ToString()))
            throw Fail($"the pickle names the global '{g}', which weights-only loading does not allow (nothing was run). Allowed: {AllowedList}");
        return g;
    }

    private object? Reduce(object? f, object?[] args)
    {
        if (f is not Global g) throw Fail($"REDUCE of {Describe(f)}, which is not a callable global");
        switch (g.ToString())
        {
            case "collections.OrderedDict":
                if (args.Length == 0) return new PickleDict();
                var d = new PickleDict();
                foreach (var pair in AsList(args[0], "OrderedDict")) { var kv = AsTuple(pair, "OrderedDict item"); d.Set(Key(kv[0]), kv[1]); }
                return d;
            case "torch._utils._rebuild_tensor":
            case "torch._utils._rebuild_tensor_v2":
                if (args.Length < 4 || args[0] is not StorageRef storage) throw Fail($"{g} needs (storage, offset, size, stride, ...)");
                return new TensorView(storage, AsLong(args[1], "storage_offset"), Longs(args[2], "size"), Longs(args[3], "stride"));
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                return args.Length > 0 ? args[0] : throw Fail($"{g} needs the data");
            case "torch._tensor._rebuild_from_type_v2":
                if (args.Length < 3 || args[1] is not Global { Name: "Tensor" or "Parameter" })
                    throw Fail($"{g} rebuilds only torch.Tensor and torch.nn.Parameter");
                return Reduce(args[0], AsTuple(args[2], "_rebuild_from_type_v2 args"));
            case "torch.Size":
                return args.Length == 0 ? Array.Empty<object?>() : AsTuple(args[0], "torch.Size");
            case "torch.device":
                return string.Join(":", args.Select(a => a?.ToString()));
            case "builtins.set":
            case "builtins.frozenset":
                return args.Length == 0 ? new List<object?>() : new List<object?>(AsList(args[0], "set"));
            case "_codecs.encode":
                if (args.Length < 1 || args[0] is not string s) throw Fail("_codecs.encode needs a string");
                return Encoding.Latin1.GetBytes(s);
            default:
                throw Fail($"REDUCE of {g}, which weights-only loading does not call");
        }
    }

    private object NewObj(object? cls, object?[] args)
    {
        if (cls is Global { Module: "collections", Name: "OrderedDict" }) return new PickleDict();
        throw Fail($"NEWOBJ of {Describe(cls)}: weights-only loading creates no class instances but OrderedDict");
    }

    private void Build(object? target, object? state)
    {
        // OrderedDict state is its __dict__ (state_dict's _metadata); tensors and parameters carry none we need.
        if (target is PickleDict or TensorView) return;
        throw Fail($"BUILD of {Describe(target)}: weights-only loading sets no object state");
    }

    private static string Describe(object? o) => o switch
    {
        null => "None",
        Global g => $"'{g}'",
        _ => o.GetType().Name,
    };

    private object? Memo(long i) => _memo.TryGetValue(i, out var v) ? v : throw Fail($"memo entry {i} is read before it is written");

    private static object Key(object? k) => k switch
    {
        string or long or bool or double => k,
        object?[] t => string.Join(",", t),
        null => "None",
        _ => throw new PyTorchFormatException($"a dict key of type {k.GetType().Name}"),
    };

    private static PickleDict DictOf(List<object?> items)
    {
        var d = new PickleDict();
        for (var i = 0; i + 1 < items.Count; i += 2) d.Set(Key(items[i]), items[i + 1]);
        return d;
    }

    private List<object?> AsList(object? o, string what) => o as List<object?> ?? throw Fail($"{what} on {Describe(o)}, not a list");

    private PickleDict AsDict(object? o, string what) => o as PickleDict ?? throw Fail($"{what} on {Describe(o)}, not a dict");

    private object?[] AsTuple(object? o, string what) => o switch
    {
        object?[] t => t,
        List<object?> l => l.ToArray(),
        _ => throw Fail($"{what} expects a tuple, got {Describe(o)}"),
    };

    private long AsLong(object? o, string what) => o is long v ? v : throw Fail($"{what} must be an integer, got {Describe(o)}");

    private long[] Longs(object? o, string what) => AsTuple(o, what).Select(v => AsLong(v, what)).ToArray();

    private long Length(ulong n)
    {
        var left = _in.CanSeek ? _in.Length - _in.Position : long.MaxValue;
        if (n > (ulong)left) throw Fail($"a length of {n} bytes runs past the end of the pickle");
        return (long)n;
    }

    /// <summary>Two's complement little-endian: a long, or a BigInteger beyond 64 bits (the legacy format's magic number).</summary>
    private static object Long(byte[] bytes)
    {
        if (bytes.Length > 8) return new System.Numerics.BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        if (bytes.Length == 0) return 0L;
        var buffer = new byte[8];
        bytes.CopyTo(buffer, 0);
        if ((bytes[^1] & 0x80) != 0) for (var i = bytes.Length; i < 8; i++) buffer[i] = 0xff; // sign extension
        return BinaryPrimitives.ReadInt64LittleEndian(buffer);
    }

    private static string Utf8(byte[] b) => Encoding.UTF8.GetString(b);

    private string ReadLine()
    {
        var sb = new StringBuilder();
        while (true)
        {
            var b = ReadByte();
            if (b == '\n') return sb.ToString();
            if (sb.Length > 1000) throw Fail("a GLOBAL name longer than 1000 characters");
            sb.Append((char)b);
        }
    }

    private byte ReadByte()
    {
        var b = _in.ReadByte();
        return b >= 0 ? (byte)b : throw Fail("the pickle ends before its STOP opcode");
    }

    private byte[] ReadBytes(long n)
    {
        var buffer = new byte[n];
        _in.ReadExactly(buffer);
        return buffer;
    }

    private void Push(object? o) => _stack.Add(o);

    private object? Peek() => _stack.Count > 0 ? _stack[^1] : throw Fail("the pickle reads an empty stack");

    private object? Pop()
    {
        var o = Peek();
        _stack.RemoveAt(_stack.Count - 1);
        return o;
    }

    private List<object?> PopMark()
    {
        if (_marks.Count == 0) throw Fail("the pickle pops a MARK it never set");
        var at = _marks.Pop();
        var items = _stack.GetRange(at, _stack.Count - at);
        _stack.RemoveRange(at, _stack.Count - at);
        return items;
    }

    private PyTorchFormatException Fail(string what) => new($"{_source}: {what}");
}
