using System.Buffers.Binary;

namespace DistillDiff.Formats.TensorBoard;

/// <summary>
/// Reads TensorBoard event files record by record, verifying both CRCs. Decodes wall_time, step, file_version and
/// the scalar and image values of summaries; other fields are skipped.
/// </summary>
public static class TensorBoardReader
{
    public static IEnumerable<TensorBoardEvent> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return ReadIterator(path);
    }

    private static IEnumerable<TensorBoardEvent> ReadIterator(string path)
    {
        // ReadWrite sharing: a writer may still be appending to the file.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
        var header = new byte[12];
        var footer = new byte[4];
        long offset = 0;
        while (true)
        {
            int got = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            if (got == 0)
                yield break;
            if (got < header.Length)
                throw Error(path, offset, $"truncated record header: {got} of 12 bytes present");

            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(header);
            uint lengthCrc = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8));
            uint expectedLengthCrc = Crc32C.Mask(Crc32C.Compute(header.AsSpan(0, 8)));
            if (lengthCrc != expectedLengthCrc)
                throw Error(path, offset, $"length CRC mismatch: stored 0x{lengthCrc:X8}, computed 0x{expectedLengthCrc:X8}");

            long remaining = stream.Length - stream.Position;
            if (length > (ulong)Array.MaxLength)
                throw Error(path, offset, $"record declares {length} data bytes, more than any event can hold (corrupt length)");
            if (length > (ulong)Math.Max(0, remaining - footer.Length))
                throw Error(path, offset, $"truncated record: declares {length} data bytes + 4 CRC bytes but only {remaining} bytes remain");

            var data = new byte[length];
            stream.ReadExactly(data);
            stream.ReadExactly(footer);
            uint dataCrc = BinaryPrimitives.ReadUInt32LittleEndian(footer);
            uint expectedDataCrc = Crc32C.Mask(Crc32C.Compute(data));
            if (dataCrc != expectedDataCrc)
                throw Error(path, offset, $"data CRC mismatch: stored 0x{dataCrc:X8}, computed 0x{expectedDataCrc:X8}");

            yield return Decode(path, offset, data);
            offset += header.Length + (long)length + footer.Length;
        }
    }

    private static TensorBoardEvent Decode(string path, long offset, byte[] data)
    {
        try
        {
            return DecodeEvent(offset, data);
        }
        catch (InvalidDataException e)
        {
            throw Error(path, offset, $"malformed Event protobuf: {e.Message}");
        }
    }

    private static TensorBoardEvent DecodeEvent(long offset, ReadOnlySpan<byte> data)
    {
        double wallTime = 0;
        long step = 0;
        string? fileVersion = null;
        var values = new List<TensorBoardValue>();
        var reader = new ProtobufReader(data);
        while (reader.TryReadTag(out int field, out int wire))
        {
            switch (field)
            {
                case 1:
                    reader.Expect(field, wire, ProtobufWriter.WireFixed64);
                    wallTime = reader.Double();
                    break;
                case 2:
                    reader.Expect(field, wire, ProtobufWriter.WireVarint);
                    step = (long)reader.Varint();
                    break;
                case 3:
                    reader.Expect(field, wire, ProtobufWriter.WireLengthDelimited);
                    fileVersion = reader.String();
                    break;
                case 5:
                    reader.Expect(field, wire, ProtobufWriter.WireLengthDelimited);
                    DecodeSummary(reader.LengthDelimited(), values);
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
        return new TensorBoardEvent(offset, wallTime, step, fileVersion, values);
    }

    private static void DecodeSummary(ReadOnlySpan<byte> data, List<TensorBoardValue> values)
    {
        var reader = new ProtobufReader(data);
        while (reader.TryReadTag(out int field, out int wire))
        {
            if (field == 1)
            {
                reader.Expect(field, wire, ProtobufWriter.WireLengthDelimited);
                values.Add(DecodeValue(reader.LengthDelimited()));
            }
            else
            {
                reader.Skip(wire);
            }
        }
    }

    private static TensorBoardValue DecodeValue(ReadOnlySpan<byte> data)
    {
        string tag = "";
        float? simpleValue = null;
        TensorBoardImage? image = null;
        var reader = new ProtobufReader(data);
        while (reader.TryReadTag(out int field, out int wire))
        {
            switch (field)
            {
                case 1:
                    reader.Expect(field, wire, ProtobufWriter.WireLengthDelimited);
                    tag = reader.String();
                    break;
                case 2:
                    reader.Expect(field, wire, ProtobufWriter.WireFixed32);
                    simpleValue = reader.Float();
                    break;
                case 4:
                    reader.Expect(field, wire, ProtobufWriter.WireLengthDelimited);
                    image = DecodeImage(reader.LengthDelimited());
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
        return new TensorBoardValue(tag, simpleValue, image);
    }

    private static TensorBoardImage DecodeImage(ReadOnlySpan<byte> data)
    {
        int height = 0, width = 0, colorspace = 0;
        byte[] encoded = [];
        var reader = new ProtobufReader(data);
        while (reader.TryReadTag(out int field, out int wire))
        {
            switch (field)
            {
                case 1:
                    reader.Expect(field, wire, ProtobufWriter.WireVarint);
                    height = (int)reader.Varint();
                    break;
                case 2:
                    reader.Expect(field, wire, ProtobufWriter.WireVarint);
                    width = (int)reader.Varint();
                    break;
                case 3:
                    reader.Expect(field, wire, ProtobufWriter.WireVarint);
                    colorspace = (int)reader.Varint();
                    break;
                case 4:
                    reader.Expect(field, wire, ProtobufWriter.WireLengthDelimited);
                    encoded = reader.LengthDelimited().ToArray();
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
        return new TensorBoardImage(height, width, colorspace, encoded);
    }

    private static InvalidDataException Error(string path, long offset, string problem) =>
        new($"TensorBoard event file '{path}', record at byte offset {offset}: {problem}.");
}
