using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using DistillDiff.Formats.Safetensors;

namespace DistillDiff.Formats.Tests.Safetensors;

public sealed class SafetensorsRoundTripTests
{
    private static readonly Dictionary<string, string> Metadata = new()
    {
        ["format"] = "pt",
        ["note"] = "é \"quoted\" \\ tab\t newline\n",
    };

    private static List<SafetensorsTensor> EveryDType()
    {
        var random = new Random(1234);
        var tensors = new List<SafetensorsTensor>();
        foreach (SafetensorsDType dtype in SafetensorsDTypes.Values)
        {
            var data = new byte[2 * 3 * SafetensorsDTypes.ElementSize(dtype)];
            random.NextBytes(data);
            tensors.Add(new SafetensorsTensor($"t.{dtype}", dtype, [2, 3], data));
        }
        tensors.Add(new SafetensorsTensor("scalar", SafetensorsDType.F64, [], BitConverter.GetBytes(-0.125)));
        tensors.Add(new SafetensorsTensor("empty", SafetensorsDType.BF16, [4, 0, 2], Array.Empty<byte>()));
        tensors.Add(SafetensorsTensor.FromFloats("floats", [3], [1f, -2f, 0.5f]));
        return tensors;
    }

    private static void AssertSameContent(List<SafetensorsTensor> expected, SafetensorsFile file)
    {
        Assert.Equal(expected.Count, file.Tensors.Count);
        foreach (SafetensorsTensor tensor in expected)
        {
            SafetensorsTensorInfo info = file[tensor.Name];
            Assert.Equal(tensor.DType, info.DType);
            Assert.Equal(tensor.Shape, info.Shape);
            Assert.Equal(tensor.Data.ToArray(), file.GetBytes(tensor.Name).ToArray());
            // The padded header and the widest-first order keep every tensor aligned to its element size.
            Assert.Equal(0, (file.DataStart + info.Begin) % SafetensorsDTypes.ElementSize(info.DType));
        }
        Assert.Equal(Metadata, file.Metadata);
    }

    [Fact]
    public void EveryDTypeScalarsEmptyTensorsAndMetadataRoundTripInMemory()
    {
        List<SafetensorsTensor> tensors = EveryDType();
        using SafetensorsFile file = SafetensorsFile.Parse(SafetensorsWriter.Serialize(tensors, Metadata), "memory");
        AssertSameContent(tensors, file);
        Assert.Equal([1f, -2f, 0.5f], file.ReadFloats("floats"));
        Assert.Equal([-0.125f], file.ReadFloats("scalar"));
    }

    [Fact]
    public void EveryDTypeRoundTripsThroughAMappedFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        List<SafetensorsTensor> tensors = EveryDType();
        SafetensorsWriter.Write(path, tensors, Metadata);
        using SafetensorsFile file = SafetensorsFile.Open(path);
        Assert.Equal(path, file.Path);
        AssertSameContent(tensors, file);
        Assert.Equal(["model.safetensors"], dir.Entries());
    }

    [Fact]
    public void HeaderIsPaddedWithSpacesToAMultipleOfEightAndNCountsThePadding()
    {
        for (int nameLength = 1; nameLength <= 8; nameLength++)
        {
            byte[] bytes = SafetensorsWriter.Serialize([new SafetensorsTensor(new string('x', nameLength), SafetensorsDType.U8, [1], new byte[] { 7 })]);
            ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            Assert.Equal(0ul, n % 8);
            Assert.Equal(8 + (long)n + 1, bytes.Length);
            string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
            int jsonEnd = header.LastIndexOf('}') + 1;
            Assert.True(n - (ulong)jsonEnd < 8);
            Assert.All(header[jsonEnd..], c => Assert.Equal(' ', c));
            Assert.Equal(7, bytes[^1]);
        }
    }

    [Fact]
    public void SingleF32TensorMatchesHandComputedBytes()
    {
        // Header {"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}} is exactly 64 bytes: no padding.
        byte[] expected =
        [
            64, 0, 0, 0, 0, 0, 0, 0,
            (byte)'{', (byte)'"', (byte)'a', (byte)'t', (byte)'t', (byte)'n', (byte)'.', (byte)'0', (byte)'"', (byte)':',
            (byte)'{', (byte)'"', (byte)'d', (byte)'t', (byte)'y', (byte)'p', (byte)'e', (byte)'"', (byte)':',
            (byte)'"', (byte)'F', (byte)'3', (byte)'2', (byte)'"', (byte)',',
            (byte)'"', (byte)'s', (byte)'h', (byte)'a', (byte)'p', (byte)'e', (byte)'"', (byte)':',
            (byte)'[', (byte)'1', (byte)',', (byte)'2', (byte)',', (byte)'3', (byte)']', (byte)',',
            (byte)'"', (byte)'d', (byte)'a', (byte)'t', (byte)'a', (byte)'_', (byte)'o', (byte)'f', (byte)'f', (byte)'s',
            (byte)'e', (byte)'t', (byte)'s', (byte)'"', (byte)':', (byte)'[', (byte)'0', (byte)',', (byte)'2', (byte)'4',
            (byte)']', (byte)'}', (byte)'}',
            // 0f, 1f, 2f, 3f, 4f, 5f as IEEE-754 little-endian
            0, 0, 0, 0, 0, 0, 0x80, 0x3F, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40, 0, 0, 0xA0, 0x40,
        ];
        byte[] actual = SafetensorsWriter.Serialize([SafetensorsTensor.FromFloats("attn.0", [1, 2, 3], [0f, 1f, 2f, 3f, 4f, 5f])]);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void EmptyFileAndMetadataOnlyFileMatchHandComputedBytes()
    {
        byte[] empty = [8, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}', 32, 32, 32, 32, 32, 32];
        Assert.Equal(empty, SafetensorsWriter.Serialize([]));

        // {"__metadata__":{"framework":"pt"}} is 35 bytes, padded with 5 spaces to 40.
        byte[] withMetadata = [40, 0, 0, 0, 0, 0, 0, 0, .. "{\"__metadata__\":{\"framework\":\"pt\"}}"u8, 32, 32, 32, 32, 32];
        Assert.Equal(withMetadata, SafetensorsWriter.Serialize([], new Dictionary<string, string> { ["framework"] = "pt" }));
    }

    [Fact]
    public void TensorsAreOrderedByReferenceDTypeRankDescendingThenName()
    {
        SafetensorsTensor T(string name, SafetensorsDType dtype) => new(name, dtype, [1], new byte[SafetensorsDTypes.ElementSize(dtype)]);
        byte[] bytes = SafetensorsWriter.Serialize(
        [
            T("u8", SafetensorsDType.U8), T("f32", SafetensorsDType.F32), T("f64b", SafetensorsDType.F64),
            T("f64a", SafetensorsDType.F64), T("i64", SafetensorsDType.I64), T("bf16", SafetensorsDType.BF16),
            T("f16", SafetensorsDType.F16), T("e4m3", SafetensorsDType.F8_E4M3), T("i8", SafetensorsDType.I8),
        ]);
        using SafetensorsFile file = SafetensorsFile.Parse(bytes, "order");
        Assert.Equal(["i64", "f64a", "f64b", "f32", "bf16", "f16", "e4m3", "i8", "u8"], file.Tensors.Select(t => t.Name));
        Assert.Equal([0L, 8, 16, 24, 28, 30, 32, 33, 34], file.Tensors.Select(t => t.Begin));
    }

    [Fact]
    public unsafe void PointerSpanAndCopyAgreeAndUnknownNamesAreReported()
    {
        using SafetensorsFile file = SafetensorsFile.Parse(SafetensorsWriter.Serialize(
            [SafetensorsTensor.FromFloats("w", [2], [3f, 4f]), new SafetensorsTensor("b", SafetensorsDType.U8, [3], new byte[] { 1, 2, 3 })]), "ptr.safetensors");

        byte* pointer = (byte*)file.DataPointer("w");
        Assert.Equal(file.GetBytes("w").ToArray(), new ReadOnlySpan<byte>(pointer, 8).ToArray());
        Assert.Equal(4f, MemoryMarshal.Read<float>(new ReadOnlySpan<byte>(pointer + 4, 4)));

        var copy = new byte[3];
        file.CopyTo("b", copy);
        Assert.Equal([1, 2, 3], copy);
        var wrongSize = Assert.Throws<ArgumentException>(() => file.CopyTo("b", new byte[4]));
        Assert.Contains("'b'", wrongSize.Message);
        Assert.Contains("3 bytes", wrongSize.Message);

        Assert.True(file.Contains("w"));
        Assert.False(file.Contains("missing"));
        var unknown = Assert.Throws<KeyNotFoundException>(() => file["missing"]);
        Assert.Contains("'ptr.safetensors'", unknown.Message);
        Assert.Contains("'missing'", unknown.Message);
        Assert.Contains("holds 2 tensors", unknown.Message);
        Assert.Throws<InvalidOperationException>(() => file.ReadFloats("b"));
    }

    [Fact]
    public void AccessAfterDisposeThrows()
    {
        SafetensorsFile file = SafetensorsFile.Parse(SafetensorsWriter.Serialize([SafetensorsTensor.FromFloats("w", [1], [1f])]), "x");
        file.Dispose();
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.DataPointer("w"));
    }

    [Fact]
    public void HalfAndBFloat16AreWidenedToFloat()
    {
        byte[] f16 = new byte[4];
        BinaryPrimitives.WriteHalfLittleEndian(f16, (Half)1.5f);
        BinaryPrimitives.WriteHalfLittleEndian(f16.AsSpan(2), (Half)(-2f));
        byte[] bf16 = [0x80, 0x3F, 0x40, 0xC0]; // upper halves of 1.0f (0x3F800000) and -3.0f (0xC0400000)
        using SafetensorsFile file = SafetensorsFile.Parse(SafetensorsWriter.Serialize(
            [new SafetensorsTensor("h", SafetensorsDType.F16, [2], f16), new SafetensorsTensor("b", SafetensorsDType.BF16, [2], bf16)]), "x");
        Assert.Equal([1.5f, -2f], file.ReadFloats("h"));
        Assert.Equal([1f, -3f], file.ReadFloats("b"));
    }
}
