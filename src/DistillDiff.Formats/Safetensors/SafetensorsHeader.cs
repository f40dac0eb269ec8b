using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace DistillDiff.Formats.Safetensors;

/// <summary>
/// The parsed and validated header of a safetensors buffer. Validation follows the reference loader
/// (huggingface/safetensors, Metadata::validate and read_metadata), with one distinct message per rejection.
/// </summary>
internal sealed class SafetensorsHeader
{
    /// <summary>Reference loader limit (MAX_HEADER_SIZE).</summary>
    public const long MaxHeaderSize = 100_000_000;

    public const string MetadataKey = "__metadata__";

    private SafetensorsHeader(List<SafetensorsTensorInfo> tensors, Dictionary<string, string> metadata, long dataStart)
    {
        Tensors = tensors;
        Metadata = metadata;
        DataStart = dataStart;
    }

    /// <summary>Tensors sorted by (begin, end, name): the order of their bytes in the file.</summary>
    public List<SafetensorsTensorInfo> Tensors { get; }

    public Dictionary<string, string> Metadata { get; }

    /// <summary>8 + N: absolute offset of the data buffer.</summary>
    public long DataStart { get; }

    public static unsafe SafetensorsHeader Read(string source, byte* file, long fileLength)
    {
        if (fileLength < 8)
            throw new SafetensorsFormatException(source,
                $"file is {fileLength} bytes, shorter than the 8-byte header-size prefix");

        ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(file, 8));
        if (declared > MaxHeaderSize)
            throw new SafetensorsFormatException(source,
                $"header size N = {declared} exceeds the limit of {MaxHeaderSize} bytes (first 8 bytes are probably not a safetensors prefix)",
                offset: 0);
        long headerSize = (long)declared;
        if (8 + headerSize > fileLength)
            throw new SafetensorsFormatException(source,
                $"header size N = {headerSize} needs 8 + N = {8 + headerSize} bytes but the file has only {fileLength}",
                offset: 0);

        var header = new ReadOnlySpan<byte>(file + 8, (int)headerSize);
        ValidateUtf8(source, header);

        var parser = new Parser(source, header);
        parser.Parse(out List<SafetensorsTensorInfo> tensors, out Dictionary<string, string> metadata);

        long dataStart = 8 + headerSize;
        long dataEnd = ValidateLayout(source, tensors, dataStart);
        long available = fileLength - dataStart;
        if (dataEnd > available)
            throw new SafetensorsFormatException(source,
                $"file is truncated: the tensors need {dataEnd} data bytes but only {available} are present ({dataEnd - available} missing)",
                offset: fileLength);
        if (dataEnd < available)
            throw new SafetensorsFormatException(source,
                $"{available - dataEnd} bytes left over after the last tensor: the data buffer is {available} bytes but the tensors cover {dataEnd}",
                offset: dataStart + dataEnd);

        return new SafetensorsHeader(tensors, metadata, dataStart);
    }

    private static void ValidateUtf8(string source, ReadOnlySpan<byte> header)
    {
        Span<char> scratch = stackalloc char[1024];
        ReadOnlySpan<byte> rest = header;
        long consumed = 0;
        while (!rest.IsEmpty)
        {
            OperationStatus status = Utf8.ToUtf16(rest, scratch, out int read, out _, replaceInvalidSequences: false, isFinalBlock: true);
            consumed += read;
            rest = rest[read..];
            if (status is OperationStatus.InvalidData or OperationStatus.NeedMoreData)
                throw new SafetensorsFormatException(source,
                    $"header is not valid UTF-8: invalid byte 0x{header[(int)consumed]:X2} at header byte {consumed}",
                    offset: 8 + consumed);
        }
    }

    /// <summary>Checks that the sorted tensors tile [0, end) exactly and returns end.</summary>
    private static long ValidateLayout(string source, List<SafetensorsTensorInfo> sorted, long dataStart)
    {
        long expected = 0;
        string? previous = null;
        foreach (SafetensorsTensorInfo info in sorted)
        {
            string range = $"data_offsets [{info.Begin}, {info.End}]";
            if (info.End < info.Begin)
                throw new SafetensorsFormatException(source, $"{range} has end before begin", info.Name, dataStart + info.Begin);
            if (info.Begin > expected)
            {
                string after = previous is null ? "the data buffer starts at 0" : $"tensor '{previous}' ends at {expected}";
                throw new SafetensorsFormatException(source,
                    $"{range} leaves a gap of {info.Begin - expected} bytes: {after}", info.Name, dataStart + expected);
            }
            if (info.Begin < expected)
                throw new SafetensorsFormatException(source,
                    $"{range} overlaps tensor '{previous}', which ends at {expected}", info.Name, dataStart + info.Begin);

            long needed = ImpliedByteLength(info.Shape, info.DType)
                ?? throw new SafetensorsFormatException(source,
                    $"shape [{string.Join(", ", info.Shape)}] x {SafetensorsDTypes.ElementSize(info.DType)} bytes ({info.DType}) overflows a 64-bit size",
                    info.Name);
            if (info.ByteLength != needed)
                throw new SafetensorsFormatException(source,
                    $"{range} spans {info.ByteLength} bytes but shape [{string.Join(", ", info.Shape)}] of {info.DType} needs {needed}",
                    info.Name, dataStart + info.Begin);

            expected = info.End;
            previous = info.Name;
        }
        return expected;
    }

    /// <summary>Element count x element size, folded left like the reference (so [huge, huge, 0] overflows too); null on overflow.</summary>
    internal static long? ImpliedByteLength(long[] shape, SafetensorsDType dtype)
    {
        long count = 1;
        foreach (long dim in shape)
        {
            if (dim != 0 && count > long.MaxValue / dim)
                return null;
            count *= dim;
        }
        int size = SafetensorsDTypes.ElementSize(dtype);
        if (count > long.MaxValue / size)
            return null;
        return count * size;
    }

    private ref struct Parser
    {
        private readonly string _source;
        private Utf8JsonReader _reader;

        public Parser(string source, ReadOnlySpan<byte> header)
        {
            _source = source;
            _reader = new Utf8JsonReader(header, new JsonReaderOptions
            {
                CommentHandling = JsonCommentHandling.Disallow,
                AllowTrailingCommas = false,
            });
        }

        private long Offset => 8 + _reader.TokenStartIndex;

        public void Parse(out List<SafetensorsTensorInfo> tensors, out Dictionary<string, string> metadata)
        {
            tensors = [];
            metadata = [];
            try
            {
                ParseRoot(tensors, metadata);
            }
            catch (JsonException e)
            {
                throw new SafetensorsFormatException(_source, $"header is not valid JSON: {e.Message}", offset: 8 + _reader.BytesConsumed);
            }
            catch (InvalidOperationException e)
            {
                // Utf8JsonReader.GetString on an escape such as a lone surrogate (\ud800).
                throw new SafetensorsFormatException(_source, $"header holds an invalid JSON string: {e.Message}", offset: Offset);
            }
            tensors.Sort(static (a, b) =>
            {
                int c = a.Begin.CompareTo(b.Begin);
                if (c == 0) c = a.End.CompareTo(b.End);
                return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
            });
        }

        private void ParseRoot(List<SafetensorsTensorInfo> tensors, Dictionary<string, string> metadata)
        {
            if (!_reader.Read() || _reader.TokenType != JsonTokenType.StartObject)
                throw new SafetensorsFormatException(_source,
                    $"header must be a JSON object mapping tensor names to entries; it starts with {_reader.TokenType}", offset: Offset);

            // JsonDocument silently keeps duplicate keys, so names are checked here, while reading.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (Read() != JsonTokenType.EndObject)
            {
                long keyOffset = Offset;
                string name = _reader.GetString()!;
                if (!seen.Add(name))
                    throw new SafetensorsFormatException(_source,
                        name == MetadataKey ? $"'{MetadataKey}' appears twice in the header" : "name appears twice in the header",
                        name == MetadataKey ? null : name, keyOffset);
                Read();
                if (name == MetadataKey)
                    ParseMetadata(metadata);
                else
                    tensors.Add(ParseEntry(name));
            }
            if (_reader.Read())
                throw new SafetensorsFormatException(_source, "unexpected content after the header object", offset: Offset);
        }

        private void ParseMetadata(Dictionary<string, string> metadata)
        {
            // The reference type is Option<HashMap<String, String>>, so JSON null means "no metadata".
            if (_reader.TokenType == JsonTokenType.Null)
                return;
            if (_reader.TokenType != JsonTokenType.StartObject)
                throw new SafetensorsFormatException(_source,
                    $"'{MetadataKey}' must be an object of string to string, found {Describe(_reader.TokenType)}", offset: Offset);
            while (Read() != JsonTokenType.EndObject)
            {
                long keyOffset = Offset;
                string key = _reader.GetString()!;
                if (metadata.ContainsKey(key))
                    throw new SafetensorsFormatException(_source, $"'{MetadataKey}' key '{key}' appears twice", offset: keyOffset);
                if (Read() != JsonTokenType.String)
                    throw new SafetensorsFormatException(_source,
                        $"'{MetadataKey}' value for key '{key}' must be a string, found {Describe(_reader.TokenType)}", offset: Offset);
                metadata.Add(key, _reader.GetString()!);
            }
        }

        private SafetensorsTensorInfo ParseEntry(string name)
        {
            if (_reader.TokenType != JsonTokenType.StartObject)
                throw new SafetensorsFormatException(_source,
                    $"entry must be an object with dtype, shape and data_offsets, found {Describe(_reader.TokenType)}", name, Offset);

            SafetensorsDType? dtype = null;
            long[]? shape = null;
            long[]? offsets = null;
            while (Read() != JsonTokenType.EndObject)
            {
                string field = _reader.GetString()!;
                long fieldOffset = Offset;
                Read();
                bool duplicate = field switch
                {
                    "dtype" => dtype is not null,
                    "shape" => shape is not null,
                    "data_offsets" => offsets is not null,
                    _ => false,
                };
                if (duplicate)
                    throw new SafetensorsFormatException(_source, $"field '{field}' appears twice in the entry", name, fieldOffset);
                switch (field)
                {
                    case "dtype":
                        dtype = ParseDType(name);
                        break;
                    case "shape":
                        shape = ParseIntegers(name, "shape", expectedCount: null);
                        break;
                    case "data_offsets":
                        offsets = ParseIntegers(name, "data_offsets", expectedCount: 2);
                        break;
                    default:
                        // The reference (serde, no deny_unknown_fields) ignores extra fields; so do we.
                        _reader.Skip();
                        break;
                }
            }
            string? missing = dtype is null ? "dtype" : shape is null ? "shape" : offsets is null ? "data_offsets" : null;
            if (missing is not null)
                throw new SafetensorsFormatException(_source, $"entry is missing '{missing}'", name, Offset);
            return new SafetensorsTensorInfo(name, dtype!.Value, shape!, offsets![0], offsets[1]);
        }

        private SafetensorsDType ParseDType(string name)
        {
            if (_reader.TokenType != JsonTokenType.String)
                throw new SafetensorsFormatException(_source, $"'dtype' must be a string, found {Describe(_reader.TokenType)}", name, Offset);
            string text = _reader.GetString()!;
            if (!SafetensorsDTypes.TryParse(text, out SafetensorsDType dtype))
                throw new SafetensorsFormatException(_source,
                    $"unknown dtype '{text}'; expected one of {string.Join(", ", SafetensorsDTypes.Values)}", name, Offset);
            return dtype;
        }

        private long[] ParseIntegers(string name, string field, int? expectedCount)
        {
            string expectation = expectedCount is null
                ? "an array of non-negative integers"
                : $"an array of exactly {expectedCount} non-negative integers";
            if (_reader.TokenType != JsonTokenType.StartArray)
                throw new SafetensorsFormatException(_source,
                    $"'{field}' must be {expectation}, found {Describe(_reader.TokenType)}", name, Offset);
            var values = new List<long>();
            while (Read() != JsonTokenType.EndArray)
            {
                if (_reader.TokenType != JsonTokenType.Number)
                    throw new SafetensorsFormatException(_source,
                        $"'{field}' must be {expectation}, found {Describe(_reader.TokenType)} at position {values.Count}", name, Offset);
                string raw = Encoding.UTF8.GetString(_reader.ValueSpan);
                if (!_reader.TryGetInt64(out long value))
                    throw new SafetensorsFormatException(_source,
                        $"'{field}' must be {expectation}, found {raw} at position {values.Count}", name, Offset);
                if (value < 0)
                    throw new SafetensorsFormatException(_source,
                        $"'{field}' must be {expectation}, found negative value {value} at position {values.Count}", name, Offset);
                values.Add(value);
            }
            if (expectedCount is int count && values.Count != count)
                throw new SafetensorsFormatException(_source,
                    $"'{field}' must be {expectation}, found {values.Count} values", name, Offset);
            return [.. values];
        }

        private JsonTokenType Read()
        {
            if (!_reader.Read())
                throw new SafetensorsFormatException(_source, "header JSON ends early", offset: 8 + _reader.BytesConsumed);
            return _reader.TokenType;
        }

        private static string Describe(JsonTokenType token) => token switch
        {
            JsonTokenType.StartObject => "an object",
            JsonTokenType.StartArray => "an array",
            JsonTokenType.String => "a string",
            JsonTokenType.Number => "a number",
            JsonTokenType.True or JsonTokenType.False => "a boolean",
            JsonTokenType.Null => "null",
            _ => token.ToString(),
        };
    }
}
