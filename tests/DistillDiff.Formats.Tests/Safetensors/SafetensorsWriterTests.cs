using System.Buffers;
using DistillDiff.Formats.Safetensors;

namespace DistillDiff.Formats.Tests.Safetensors;

public sealed class SafetensorsWriterTests
{
    private static SafetensorsTensor U8(string name, params byte[] data) => new(name, SafetensorsDType.U8, [data.Length], data);

    [Fact]
    public void DuplicateNamesAreRefusedBeforeAnythingIsWritten()
    {
        using var dir = new TempDirectory();
        string path = dir.File("dup.safetensors");
        var e = Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path, [U8("a", 1), U8("b", 2), U8("a", 3)]));
        Assert.Contains($"'{path}'", e.Message);
        Assert.Contains("tensor name 'a' appears more than once", e.Message);
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public void DataLengthThatDisagreesWithShapeIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            SafetensorsWriter.Serialize([new SafetensorsTensor("w", SafetensorsDType.F32, [2, 3], new byte[20])]));
        Assert.Contains("tensor 'w' has 20 bytes of data but shape [2, 3] of F32 needs 24", e.Message);
    }

    [Fact]
    public void ReservedNameAndNegativeDimensionsAreRefused()
    {
        Assert.Contains("reserved", Assert.Throws<ArgumentException>(() => SafetensorsWriter.Serialize([U8("__metadata__", 1)])).Message);
        var negative = new SafetensorsTensor("n", SafetensorsDType.U8, [-1], Array.Empty<byte>());
        Assert.Contains("negative dimension", Assert.Throws<ArgumentException>(() => SafetensorsWriter.Serialize([negative])).Message);
    }

    [Fact]
    public void FailedValidationLeavesTheEarlierFileIntactAndNoTempFiles()
    {
        using var dir = new TempDirectory();
        string path = dir.File("ckpt.safetensors");
        SafetensorsWriter.Write(path, [U8("a", 1, 2, 3)]);
        byte[] before = File.ReadAllBytes(path);

        Assert.Throws<ArgumentException>(() =>
            SafetensorsWriter.Write(path, [U8("a", 9, 9, 9), new SafetensorsTensor("bad", SafetensorsDType.F32, [4], new byte[15])]));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["ckpt.safetensors"], dir.Entries());
    }

    [Fact]
    public void FailureMidwayThroughTheDataLeavesTheEarlierFileIntactAndNoTempFiles()
    {
        using var dir = new TempDirectory();
        string path = dir.File("ckpt.safetensors");
        SafetensorsWriter.Write(path, [U8("a", 1, 2, 3)]);
        byte[] before = File.ReadAllBytes(path);

        // The first tensor's bytes reach the temp file, then reading the second tensor's memory fails.
        var failing = new SafetensorsTensor("z", SafetensorsDType.U8, [4], new FailingMemory(4).Memory);
        var e = Assert.Throws<IOException>(() => SafetensorsWriter.Write(path, [U8("a", 9, 9, 9), failing]));
        Assert.Equal(FailingMemory.Message, e.Message);

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["ckpt.safetensors"], dir.Entries());
    }

    [Fact]
    public void FailureAtTheRenameRemovesTheTempFile()
    {
        using var dir = new TempDirectory();
        string target = dir.File("occupied");
        Directory.CreateDirectory(target);
        Assert.ThrowsAny<IOException>(() => SafetensorsWriter.Write(target, [U8("a", 1)]));
        Assert.Equal(["occupied"], dir.Entries());
    }

    [Fact]
    public void WriteReplacesAnExistingFileAndCreatesMissingDirectories()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "run", "step_10", "model.safetensors");
        SafetensorsWriter.Write(path, [U8("a", 1)]);
        SafetensorsWriter.Write(path, [U8("b", 2, 3)]);
        using SafetensorsFile file = SafetensorsFile.Open(path);
        Assert.Equal(["b"], file.Tensors.Select(t => t.Name));
        Assert.Equal(["model.safetensors"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    /// <summary>Memory whose length is known but whose bytes cannot be read, like a tensor on a device that fails mid-copy.</summary>
    private sealed class FailingMemory(int length) : MemoryManager<byte>
    {
        public const string Message = "simulated read failure";

        public override Span<byte> GetSpan() => throw new IOException(Message);

        public override MemoryHandle Pin(int elementIndex = 0) => throw new IOException(Message);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }

        public override Memory<byte> Memory => CreateMemory(length);
    }
}
