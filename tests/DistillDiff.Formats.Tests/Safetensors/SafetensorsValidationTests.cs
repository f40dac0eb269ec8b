using System.Text;
using DistillDiff.Formats.Safetensors;

namespace DistillDiff.Formats.Tests.Safetensors;

/// <summary>Every rejection of the reference loader, each with its own message that names the source and the tensor.</summary>
public sealed class SafetensorsValidationTests
{
    private const string Source = "case.safetensors";

    private static SafetensorsFormatException Reject(byte[] bytes)
    {
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Parse(bytes, Source).Dispose());
        Assert.Equal(Source, e.SourcePath);
        Assert.Contains($"'{Source}'", e.Message);
        return e;
    }

    [Theory]
    [InlineData("{\"a\": ", 0, "not valid JSON", null)]
    [InlineData("[1, 2]", 0, "must be a JSON object", null)]
    [InlineData("{\"w\": 5}", 0, "entry must be an object with dtype, shape and data_offsets, found a number", "w")]
    [InlineData("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "missing 'dtype'", "w")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "missing 'shape'", "w")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "missing 'data_offsets'", "w")]
    [InlineData("{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "'dtype' must be a string, found a number", "w")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":\"2x2\",\"data_offsets\":[0,4]}}", 4, "'shape' must be an array of non-negative integers, found a string", "w")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, "found 1.5 at position 0", "w")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-2],\"data_offsets\":[0,4]}}", 4, "negative value -2 at position 1", "w")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 4, "exactly 2 non-negative integers, found 3 values", "w")]
    [InlineData("{\"w\":{\"dtype\":\"F7\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "unknown dtype 'F7'", "w")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "field 'dtype' appears twice", "w")]
    [InlineData("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2, "name appears twice", "w")]
    [InlineData("{\"__metadata__\":[1]}", 0, "'__metadata__' must be an object of string to string, found an array", null)]
    [InlineData("{\"__metadata__\":{\"step\":5}}", 0, "value for key 'step' must be a string, found a number", null)]
    [InlineData("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}", 0, "key 'a' appears twice", null)]
    [InlineData("{\"\\ud800\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, "invalid JSON string", null)]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, "leaves a gap of 4 bytes: tensor 'a' ends at 4", "b")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "gap of 4 bytes: the data buffer starts at 0", "a")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "overlaps tensor 'a', which ends at 8", "b")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8, "data_offsets [8, 4] has end before begin", "a")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,4]}}", 4, "overflows a 64-bit size", "a")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "spans 4 bytes but shape [2] of F32 needs 8", "a")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 11, "3 bytes left over after the last tensor", null)]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 5, "truncated: the tensors need 8 data bytes but only 5 are present (3 missing)", null)]
    public void MalformedHeaderIsRejectedWithItsOwnMessage(string header, int dataLength, string expected, string? tensor)
    {
        SafetensorsFormatException e = Reject(SafetensorsBytes.Build(header, dataLength));
        Assert.Contains(expected, e.Message);
        Assert.Equal(tensor, e.TensorName);
        if (tensor is not null)
            Assert.Contains($"tensor '{tensor}'", e.Message);
    }

    [Fact]
    public void FileShorterThanThePrefixIsRejected()
    {
        SafetensorsFormatException e = Reject([1, 2, 3]);
        Assert.Contains("file is 3 bytes, shorter than the 8-byte header-size prefix", e.Message);
    }

    [Fact]
    public void HeaderSizeAboveTheLimitIsRejected()
    {
        SafetensorsFormatException e = Reject(SafetensorsBytes.Build("{}"u8.ToArray(), [], declaredHeaderSize: 100_000_001));
        Assert.Contains("N = 100000001 exceeds the limit of 100000000 bytes", e.Message);
        Assert.Equal(0, e.Offset);
    }

    [Fact]
    public void HeaderRunningPastTheEndOfTheFileIsRejected()
    {
        SafetensorsFormatException e = Reject(SafetensorsBytes.Build("{}"u8.ToArray(), [], declaredHeaderSize: 100));
        Assert.Contains("needs 8 + N = 108 bytes but the file has only 10", e.Message);
    }

    [Fact]
    public void HeaderThatIsNotUtf8IsRejectedAtTheBadByte()
    {
        byte[] header = [.. "{\"a"u8, 0xFF, .. "\":{}}"u8];
        SafetensorsFormatException e = Reject(SafetensorsBytes.Build(header, []));
        Assert.Contains("not valid UTF-8: invalid byte 0xFF at header byte 3", e.Message);
        Assert.Equal(8 + 3, e.Offset);
    }

    [Fact]
    public void MessagesOfTheLayoutErrorsPointAtTheFileOffset()
    {
        const string header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        SafetensorsFormatException e = Reject(SafetensorsBytes.Build(header, 8));
        Assert.Equal(8 + Encoding.UTF8.GetByteCount(header), e.Offset);
        Assert.Contains($"(file offset {e.Offset})", e.Message);
    }

    [Fact]
    public void OpenNamesTheFilePathAndRejectsAnEmptyFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("empty.safetensors");
        File.WriteAllBytes(path, []);
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path));
        Assert.Equal(path, e.SourcePath);
        Assert.Contains($"'{path}'", e.Message);
        Assert.Contains("file is 0 bytes", e.Message);

        string gap = dir.File("gap.safetensors");
        File.WriteAllBytes(gap, SafetensorsBytes.Build("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2));
        e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(gap));
        Assert.Contains($"'{gap}'", e.Message);
        Assert.Contains("gap of 1 bytes", e.Message);
        // The mapping was released on failure, so the file can be replaced straight away.
        File.WriteAllBytes(gap, SafetensorsBytes.Build("{}", 0));
        using SafetensorsFile ok = SafetensorsFile.Open(gap);
        Assert.Empty(ok.Tensors);
    }

    [Fact]
    public void EmptyTensorsScalarsNullMetadataAndUnknownFieldsAreAccepted()
    {
        const string header =
            "{\"__metadata__\":null," +
            "\"empty\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[0,0]}," +
            "\"also_empty\":{\"dtype\":\"I64\",\"shape\":[5,0],\"data_offsets\":[0,0]}," +
            "\"scalar\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8],\"comment\":{\"x\":[1]}}}   ";
        byte[] data = BitConverter.GetBytes(2.5);
        using SafetensorsFile file = SafetensorsFile.Parse(SafetensorsBytes.Build(Encoding.UTF8.GetBytes(header), data), Source);

        Assert.Empty(file.Metadata);
        Assert.Equal(["also_empty", "empty", "scalar"], file.Tensors.Select(t => t.Name));
        Assert.Equal(0, file.GetBytes("empty").Length);
        Assert.Equal(0, file["also_empty"].ElementCount);
        Assert.Empty(file["scalar"].Shape);
        Assert.Equal(1, file["scalar"].ElementCount);
        Assert.Equal([2.5f], file.ReadFloats("scalar"));
    }

    [Fact]
    public void TensorsAreListedInOffsetOrderWhateverTheHeaderOrder()
    {
        const string header =
            "{\"z\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}," +
            "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[3,4]}," +
            "\"m\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[2,3]}}";
        using SafetensorsFile file = SafetensorsFile.Parse(SafetensorsBytes.Build(Encoding.UTF8.GetBytes(header), [10, 11, 12, 13]), Source);
        Assert.Equal(["z", "m", "a"], file.Tensors.Select(t => t.Name));
        Assert.Equal([12], file.GetBytes("m").ToArray());
    }
}
