using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace DistillDiff.Formats.Safetensors;

/// <summary>
/// Writes safetensors exactly like the reference serializer: tensors ordered by dtype (widest alignment first,
/// in the reference enum's order) then by name, packed without gaps, and the header JSON padded with spaces to a
/// multiple of 8 so every tensor starts aligned.
/// </summary>
public static class SafetensorsWriter
{
    /// <summary>Validates, then writes atomically: a failure never leaves a partial file under <paramref name="path"/>.</summary>
    public static void Write(string path, IEnumerable<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        (byte[] prefixAndHeader, List<SafetensorsTensor> ordered, _) = Prepare(tensors, metadata, $"Cannot write safetensors file '{path}'");
        AtomicFile.Write(path, stream =>
        {
            stream.Write(prefixAndHeader);
            foreach (SafetensorsTensor tensor in ordered)
                stream.Write(tensor.Data.Span);
        });
    }

    public static byte[] Serialize(IEnumerable<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        (byte[] prefixAndHeader, List<SafetensorsTensor> ordered, long dataLength) = Prepare(tensors, metadata, "Cannot serialize safetensors");
        long total = prefixAndHeader.Length + dataLength;
        if (total > Array.MaxLength)
            throw new ArgumentException($"Cannot serialize safetensors: {total} bytes exceed the largest byte array; use {nameof(Write)} to stream to a file.");
        var result = new byte[total];
        prefixAndHeader.CopyTo(result, 0);
        int position = prefixAndHeader.Length;
        foreach (SafetensorsTensor tensor in ordered)
        {
            tensor.Data.Span.CopyTo(result.AsSpan(position));
            position += tensor.Data.Length;
        }
        return result;
    }

    private static (byte[] PrefixAndHeader, List<SafetensorsTensor> Ordered, long DataLength) Prepare(
        IEnumerable<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string>? metadata, string context)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        List<SafetensorsTensor> ordered = [.. tensors];
        Validate(ordered, metadata, context);
        ordered.Sort(static (a, b) =>
        {
            int c = SafetensorsDTypes.ReferenceRank(b.DType).CompareTo(SafetensorsDTypes.ReferenceRank(a.DType));
            return c != 0 ? c : CompareCodePoints(a.Name, b.Name);
        });

        var json = new StringBuilder("{");
        if (metadata is not null)
        {
            json.Append("\"__metadata__\":{");
            bool first = true;
            foreach (KeyValuePair<string, string> entry in metadata.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                if (!first) json.Append(',');
                first = false;
                AppendJsonString(json, entry.Key).Append(':');
                AppendJsonString(json, entry.Value);
            }
            json.Append('}');
            if (ordered.Count > 0) json.Append(',');
        }
        long offset = 0;
        for (int i = 0; i < ordered.Count; i++)
        {
            SafetensorsTensor tensor = ordered[i];
            if (i > 0) json.Append(',');
            AppendJsonString(json, tensor.Name)
                .Append(":{\"dtype\":\"").Append(SafetensorsDTypes.Format(tensor.DType))
                .Append("\",\"shape\":[").AppendJoin(',', tensor.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture)))
                .Append("],\"data_offsets\":[").Append(offset.ToString(CultureInfo.InvariantCulture)).Append(',');
            offset += tensor.Data.Length;
            json.Append(offset.ToString(CultureInfo.InvariantCulture)).Append("]}");
        }
        json.Append('}');

        byte[] headerJson = Encoding.UTF8.GetBytes(json.ToString());
        int padded = (headerJson.Length + 7) / 8 * 8;
        var prefixAndHeader = new byte[8 + padded];
        BinaryPrimitives.WriteUInt64LittleEndian(prefixAndHeader, (ulong)padded);
        headerJson.CopyTo(prefixAndHeader, 8);
        prefixAndHeader.AsSpan(8 + headerJson.Length).Fill((byte)' ');
        return (prefixAndHeader, ordered, offset);
    }

    private static void Validate(List<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string>? metadata, string context)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (SafetensorsTensor tensor in tensors)
        {
            if (tensor is null)
                throw new ArgumentException($"{context}: the tensor list contains null.");
            if (tensor.Name is null)
                throw new ArgumentException($"{context}: a {tensor.DType} tensor has a null name.");
            if (tensor.Name == SafetensorsHeader.MetadataKey)
                throw new ArgumentException($"{context}: '{SafetensorsHeader.MetadataKey}' is reserved for metadata and cannot name a tensor.");
            if (!IsWellFormed(tensor.Name))
                throw new ArgumentException($"{context}: tensor name '{tensor.Name}' contains an unpaired UTF-16 surrogate and has no UTF-8 form.");
            if (!names.Add(tensor.Name))
                throw new ArgumentException($"{context}: tensor name '{tensor.Name}' appears more than once.");
            if (!Enum.IsDefined(tensor.DType))
                throw new ArgumentException($"{context}: tensor '{tensor.Name}' has undefined dtype value {(int)tensor.DType}.");
            if (tensor.Shape is null)
                throw new ArgumentException($"{context}: tensor '{tensor.Name}' has a null shape (use [] for a scalar).");
            string shape = $"[{string.Join(", ", tensor.Shape)}]";
            if (tensor.Shape.Any(d => d < 0))
                throw new ArgumentException($"{context}: tensor '{tensor.Name}' has negative dimension in shape {shape}.");
            long needed = SafetensorsHeader.ImpliedByteLength(tensor.Shape, tensor.DType)
                ?? throw new ArgumentException($"{context}: tensor '{tensor.Name}' shape {shape} of {tensor.DType} overflows a 64-bit byte count.");
            if (tensor.Data.Length != needed)
                throw new ArgumentException(
                    $"{context}: tensor '{tensor.Name}' has {tensor.Data.Length} bytes of data but shape {shape} of {tensor.DType} needs {needed}.");
        }
        if (metadata is not null)
        {
            foreach (KeyValuePair<string, string> entry in metadata)
            {
                if (entry.Value is null)
                    throw new ArgumentException($"{context}: metadata key '{entry.Key}' has a null value.");
                if (!IsWellFormed(entry.Key) || !IsWellFormed(entry.Value))
                    throw new ArgumentException($"{context}: metadata entry '{entry.Key}' contains an unpaired UTF-16 surrogate.");
            }
        }
    }

    /// <summary>serde_json's escaping: quote, backslash and control characters only; everything else verbatim.</summary>
    private static StringBuilder AppendJsonString(StringBuilder json, string text)
    {
        json.Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\b': json.Append("\\b"); break;
                case '\f': json.Append("\\f"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                default:
                    if (c < 0x20)
                        json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else
                        json.Append(c);
                    break;
            }
        }
        return json.Append('"');
    }

    /// <summary>Code-point order, which equals the UTF-8 byte order the reference (Rust String) sorts by.</summary>
    private static int CompareCodePoints(string a, string b)
    {
        StringRuneEnumerator left = a.EnumerateRunes();
        StringRuneEnumerator right = b.EnumerateRunes();
        while (true)
        {
            bool hasLeft = left.MoveNext();
            bool hasRight = right.MoveNext();
            if (!hasLeft || !hasRight)
                return hasLeft.CompareTo(hasRight);
            int c = left.Current.Value.CompareTo(right.Current.Value);
            if (c != 0)
                return c;
        }
    }

    private static bool IsWellFormed(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                i++;
            else if (char.IsSurrogate(text[i]))
                return false;
        }
        return true;
    }
}
