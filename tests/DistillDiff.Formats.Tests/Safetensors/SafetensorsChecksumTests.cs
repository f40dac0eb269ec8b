using DistillDiff.Formats.Safetensors;
using DistillDiff.Formats.TensorBoard;

namespace DistillDiff.Formats.Tests.Safetensors;

/// <summary>Per-tensor CRC-32C in __metadata__: verified when present, absent from files written elsewhere.</summary>
public sealed class SafetensorsChecksumTests
{
    private static SafetensorsTensor U8(string name, params byte[] data) => new(name, SafetensorsDType.U8, [data.Length], data);

    [Fact]
    public void The_checksum_is_the_crc32c_of_the_tensor_bytes_in_lower_case_hex()
    {
        // CRC-32C check value: "123456789" -> 0xE3069283 (RFC 3720, B.4).
        Assert.Equal("e3069283", SafetensorsChecksums.Compute("123456789"u8));
        var meta = SafetensorsChecksums.With([U8("a", 1, 2, 3)], new Dictionary<string, string> { ["format"] = "pt" });
        Assert.Equal(Crc32C.Compute([1, 2, 3]).ToString("x8"), meta["distilldiff.crc32c.a"]);
        Assert.Equal("pt", meta["format"]);
    }

    [Fact]
    public void A_changed_data_byte_is_refused_naming_the_tensor_and_intact_or_unsummed_files_pass()
    {
        var tensors = new[] { U8("a", 1, 2, 3), U8("b", 4, 5) };
        var bytes = SafetensorsWriter.Serialize(tensors, SafetensorsChecksums.With(tensors, null));
        using (var intact = SafetensorsFile.Parse(bytes, "m.safetensors"))
            SafetensorsChecksums.Verify(intact);

        bytes[^1] ^= 1; // last byte of "b" (tensors are packed in name order)
        using (var damaged = SafetensorsFile.Parse(bytes, "m.safetensors"))
        {
            var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsChecksums.Verify(damaged));
            Assert.Equal($"Invalid safetensors file 'm.safetensors': tensor data does not match the checksums in __metadata__ (the file is damaged): 'b' (stored {SafetensorsChecksums.Compute([4, 5])}, computed {SafetensorsChecksums.Compute([4, 4])})", e.Message);
        }

        var foreign = SafetensorsWriter.Serialize(tensors, new Dictionary<string, string> { ["format"] = "pt" });
        foreign[^1] ^= 1;
        using var elsewhere = SafetensorsFile.Parse(foreign, "torch.safetensors");
        Assert.False(SafetensorsChecksums.Present(elsewhere));
        SafetensorsChecksums.Verify(elsewhere);
    }
}
