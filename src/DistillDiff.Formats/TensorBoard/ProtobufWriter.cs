using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace DistillDiff.Formats.TensorBoard;

/// <summary>The handful of protobuf encodings an Event needs (protobuf encoding spec: varint, I64, LEN, I32).</summary>
internal sealed class ProtobufWriter
{
    public const int WireVarint = 0;
    public const int WireFixed64 = 1;
    public const int WireLengthDelimited = 2;
    public const int WireFixed32 = 5;

    private readonly ArrayBufferWriter<byte> _buffer = new();

    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    public ProtobufWriter Double(int field, double value)
    {
        Tag(field, WireFixed64);
        BinaryPrimitives.WriteDoubleLittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
        return this;
    }

    public ProtobufWriter Float(int field, float value)
    {
        Tag(field, WireFixed32);
        BinaryPrimitives.WriteSingleLittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
        return this;
    }

    /// <summary>int32/int64 fields: negative values are sign-extended to 64 bits, hence 10 bytes.</summary>
    public ProtobufWriter Int64(int field, long value)
    {
        Tag(field, WireVarint);
        Varint((ulong)value);
        return this;
    }

    public ProtobufWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, WireLengthDelimited);
        Varint((ulong)value.Length);
        value.CopyTo(_buffer.GetSpan(value.Length));
        _buffer.Advance(value.Length);
        return this;
    }

    public ProtobufWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtobufWriter Message(int field, ProtobufWriter message) => Bytes(field, message.WrittenSpan);

    private void Tag(int field, int wireType) => Varint(((ulong)field << 3) | (uint)wireType);

    private void Varint(ulong value)
    {
        Span<byte> span = _buffer.GetSpan(10);
        int n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[n++] = (byte)value;
        _buffer.Advance(n);
    }
}
