using System.Buffers.Binary;
using System.Text;

namespace DistillDiff.Formats.TensorBoard;

/// <summary>Forward-only protobuf decoder; malformed input raises <see cref="InvalidDataException"/> naming the byte position.</summary>
internal ref struct ProtobufReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public ProtobufReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public bool TryReadTag(out int field, out int wireType)
    {
        if (_position >= _data.Length)
        {
            field = 0;
            wireType = 0;
            return false;
        }
        ulong tag = Varint();
        field = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        if (field == 0)
            throw new InvalidDataException($"protobuf field number 0 at byte {_position}");
        return true;
    }

    public ulong Varint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (_position >= _data.Length)
                throw new InvalidDataException($"protobuf varint runs past the end of the message (byte {_position})");
            byte b = _data[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return result;
        }
        throw new InvalidDataException($"protobuf varint longer than 10 bytes ending at byte {_position}");
    }

    public double Double() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

    public float Float() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));

    public ReadOnlySpan<byte> LengthDelimited()
    {
        ulong length = Varint();
        if (length > (ulong)(_data.Length - _position))
            throw new InvalidDataException(
                $"protobuf length-delimited field of {length} bytes at byte {_position} exceeds the {_data.Length - _position} bytes left");
        return Take((int)length);
    }

    public string String() => Encoding.UTF8.GetString(LengthDelimited());

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case ProtobufWriter.WireVarint: Varint(); break;
            case ProtobufWriter.WireFixed64: Take(8); break;
            case ProtobufWriter.WireLengthDelimited: LengthDelimited(); break;
            case ProtobufWriter.WireFixed32: Take(4); break;
            default: throw new InvalidDataException($"unsupported protobuf wire type {wireType} before byte {_position}");
        }
    }

    /// <summary>Checks that a known field arrived with the wire type its schema declares.</summary>
    public readonly void Expect(int field, int wireType, int expected)
    {
        if (wireType != expected)
            throw new InvalidDataException($"protobuf field {field} has wire type {wireType}, expected {expected} (before byte {_position})");
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _data.Length - _position)
            throw new InvalidDataException($"protobuf value of {count} bytes at byte {_position} runs past the end of the message");
        ReadOnlySpan<byte> slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }
}
