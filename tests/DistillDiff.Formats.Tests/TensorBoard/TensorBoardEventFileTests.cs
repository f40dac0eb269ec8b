using System.Buffers.Binary;
using System.Text.RegularExpressions;
using DistillDiff.Formats.TensorBoard;

namespace DistillDiff.Formats.Tests.TensorBoard;

public sealed class TensorBoardEventFileTests
{
    private static long SecondRecordOffset(byte[] file) => 12 + (long)BinaryPrimitives.ReadUInt64LittleEndian(file) + 4;

    [Fact]
    public void FileIsNamedLikeTensorFlowsAndTwoWritersNeverCollide()
    {
        using var dir = new TempDirectory();
        using var first = new TensorBoardWriter(dir.Path);
        using var second = new TensorBoardWriter(dir.Path);
        var pattern = new Regex(@"^events\.out\.tfevents\.\d{10}\..+\." + Environment.ProcessId + @"\.\d+$");
        Assert.Matches(pattern, Path.GetFileName(first.FilePath));
        Assert.Matches(pattern, Path.GetFileName(second.FilePath));
        Assert.NotEqual(first.FilePath, second.FilePath);
        Assert.Equal(dir.Path, Path.GetDirectoryName(first.FilePath));
    }

    [Fact]
    public void FirstRecordIsTheFileVersionEvent()
    {
        using var dir = new TempDirectory();
        string path;
        double before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        using (var writer = new TensorBoardWriter(dir.Path))
            path = writer.FilePath;
        double after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

        TensorBoardEvent only = Assert.Single(TensorBoardReader.Read(path));
        Assert.Equal("brain.Event:2", only.FileVersion);
        Assert.Equal(0, only.Offset);
        Assert.Empty(only.Values);
        Assert.InRange(only.WallTime, before - 1, after + 1);
    }

    [Fact]
    public void ScalarsDecodeBackToTheirTagsStepsValuesAndTimes()
    {
        using var dir = new TempDirectory();
        string path;
        using (var writer = new TensorBoardWriter(dir.Path))
        {
            path = writer.FilePath;
            writer.AddScalar("loss/train", 0.8125f, 0, wallTime: 1700000000.25);
            writer.AddScalar("loss/train", -3.5e-7f, 1, wallTime: 1700000001.5);
            writer.AddScalar("lr", float.NaN, 1_000_000_000_000, wallTime: 1700000002);
            writer.AddScalar("neg-step", 1f, -5, wallTime: 1700000003);
            writer.Flush();
        }

        List<TensorBoardEvent> events = TensorBoardReader.Read(path).Skip(1).ToList();
        Assert.Equal([0L, 1, 1_000_000_000_000, -5], events.Select(e => e.Step));
        Assert.Equal([1700000000.25, 1700000001.5, 1700000002, 1700000003], events.Select(e => e.WallTime));
        Assert.Equal(["loss/train", "loss/train", "lr", "neg-step"], events.Select(e => Assert.Single(e.Values).Tag));
        Assert.Equal(0.8125f, events[0].Values[0].SimpleValue);
        Assert.Equal(-3.5e-7f, events[1].Values[0].SimpleValue);
        Assert.True(float.IsNaN(events[2].Values[0].SimpleValue!.Value));
        Assert.All(events, e => Assert.Null(e.FileVersion));
    }

    [Fact]
    public void ImagesDecodeBackToTheirPngAndGeometry()
    {
        using var dir = new TempDirectory();
        byte[] png = [0x89, 0x50, 0x4E, 0x47, 1, 2, 3];
        string path;
        using (var writer = new TensorBoardWriter(dir.Path))
        {
            path = writer.FilePath;
            writer.AddImage("samples", png, height: 34, width: 66, channels: 3, step: 200);
        }
        TensorBoardEvent e = TensorBoardReader.Read(path).Last();
        Assert.Equal(200, e.Step);
        TensorBoardValue value = Assert.Single(e.Values);
        Assert.Equal("samples", value.Tag);
        Assert.Null(value.SimpleValue);
        Assert.Equal(new TensorBoardImage(34, 66, 3, png).EncodedImage, value.Image!.EncodedImage);
        Assert.Equal((34, 66, 3), (value.Image.Height, value.Image.Width, value.Image.Colorspace));
    }

    [Fact]
    public void ScalarRecordMatchesHandEncodedProtobufAndFraming()
    {
        using var dir = new TempDirectory();
        string path;
        using (var writer = new TensorBoardWriter(dir.Path))
        {
            path = writer.FilePath;
            writer.AddScalar("loss", 0.5f, 3, wallTime: 1.5);
        }
        byte[] file = File.ReadAllBytes(path);

        byte[] evt =
        [
            0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F, // field 1 (wall_time), fixed64: 1.5
            0x10, 0x03,                         // field 2 (step), varint: 3
            0x2A, 0x0D,                         // field 5 (summary), 13 bytes
            0x0A, 0x0B,                         //   Summary field 1 (value), 11 bytes
            0x0A, 0x04, (byte)'l', (byte)'o', (byte)'s', (byte)'s', // Value field 1 (tag)
            0x15, 0, 0, 0, 0x3F,                //   Value field 2 (simple_value), fixed32: 0.5f
        ];
        byte[] length = [(byte)evt.Length, 0, 0, 0, 0, 0, 0, 0];
        byte[] record =
        [
            .. length, .. LittleEndian(Crc32C.Mask(Crc32C.Compute(length))),
            .. evt, .. LittleEndian(Crc32C.Mask(Crc32C.Compute(evt))),
        ];
        long offset = SecondRecordOffset(file);
        Assert.Equal(record, file.AsSpan((int)offset).ToArray());
    }

    [Fact]
    public void FlippedDataByteIsReportedWithTheRecordOffset()
    {
        using var dir = new TempDirectory();
        string path = WriteTwoScalars(dir);
        byte[] file = File.ReadAllBytes(path);
        long second = SecondRecordOffset(file);
        file[second + 12 + 3] ^= 0x01;
        File.WriteAllBytes(path, file);

        var e = Assert.Throws<InvalidDataException>(() => TensorBoardReader.Read(path).ToList());
        Assert.Contains($"'{path}'", e.Message);
        Assert.Contains($"record at byte offset {second}", e.Message);
        Assert.Contains("data CRC mismatch", e.Message);
    }

    [Fact]
    public void FlippedLengthByteIsReportedAsALengthCrcMismatch()
    {
        using var dir = new TempDirectory();
        string path = WriteTwoScalars(dir);
        byte[] file = File.ReadAllBytes(path);
        long second = SecondRecordOffset(file);
        file[second] ^= 0x40;
        File.WriteAllBytes(path, file);

        var e = Assert.Throws<InvalidDataException>(() => TensorBoardReader.Read(path).ToList());
        Assert.Contains($"record at byte offset {second}", e.Message);
        Assert.Contains("length CRC mismatch", e.Message);
    }

    [Fact]
    public void TruncatedFileIsReportedWithTheRecordOffset()
    {
        using var dir = new TempDirectory();
        string path = WriteTwoScalars(dir);
        byte[] file = File.ReadAllBytes(path);
        long second = SecondRecordOffset(file);

        File.WriteAllBytes(path, file[..^2]);
        long third = second + (file.Length - second) / 2;
        var e = Assert.Throws<InvalidDataException>(() => TensorBoardReader.Read(path).ToList());
        Assert.Contains($"record at byte offset {third}", e.Message);
        Assert.Contains("truncated record:", e.Message);

        File.WriteAllBytes(path, file[..(int)(second + 5)]);
        e = Assert.Throws<InvalidDataException>(() => TensorBoardReader.Read(path).ToList());
        Assert.Contains($"record at byte offset {second}", e.Message);
        Assert.Contains("truncated record header: 5 of 12 bytes", e.Message);
    }

    [Fact]
    public void WriterRefusesUseAfterDispose()
    {
        using var dir = new TempDirectory();
        var writer = new TensorBoardWriter(dir.Path);
        writer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => writer.AddScalar("x", 1, 1));
    }

    /// <summary>Two scalar records with identical sizes after the file_version record.</summary>
    private static string WriteTwoScalars(TempDirectory dir)
    {
        using var writer = new TensorBoardWriter(dir.Path);
        writer.AddScalar("a", 1f, 10, wallTime: 100);
        writer.AddScalar("b", 2f, 11, wallTime: 101);
        return writer.FilePath;
    }

    private static byte[] LittleEndian(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }
}
