using System.Buffers.Binary;

namespace DistillDiff.Formats.TensorBoard;

/// <summary>
/// Appends scalars and images to a new TensorBoard event file in a log directory. Thread-safe; records reach the
/// OS on <see cref="Flush"/> and <see cref="Dispose"/>, so a running TensorBoard sees them without closing the file.
/// </summary>
public sealed class TensorBoardWriter : IDisposable
{
    public const string FileVersion = "brain.Event:2";

    // Event / Summary / Value / Image field numbers (tensorflow/core/util/event.proto, framework/summary.proto).
    private const int EventWallTime = 1, EventStep = 2, EventFileVersion = 3, EventSummary = 5;
    private const int SummaryValue = 1;
    private const int ValueTag = 1, ValueSimpleValue = 2, ValueImage = 4;
    private const int ImageHeight = 1, ImageWidth = 2, ImageColorspace = 3, ImageEncoded = 4;

    private static int s_fileCounter;

    private readonly FileStream _stream;
    private readonly Lock _gate = new();
    private bool _disposed;

    public TensorBoardWriter(string logDir)
    {
        ArgumentException.ThrowIfNullOrEmpty(logDir);
        Directory.CreateDirectory(logDir);
        long seconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string host = string.Concat(Environment.MachineName.Split(Path.GetInvalidFileNameChars()));
        // The counter keeps two writers in one process (same second, same pid) apart; CreateNew guards the rest.
        int n = Interlocked.Increment(ref s_fileCounter);
        FilePath = Path.Combine(logDir, $"events.out.tfevents.{seconds}.{host}.{Environment.ProcessId}.{n}");
        _stream = new FileStream(FilePath, FileMode.CreateNew, FileAccess.Write, FileShare.Read | FileShare.Delete, 1 << 16);
        WriteEvent(new ProtobufWriter().Double(EventWallTime, Now()).String(EventFileVersion, FileVersion));
        Flush();
    }

    public string FilePath { get; }

    public void AddScalar(string tag, float value, long step, double? wallTime = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        var summaryValue = new ProtobufWriter().String(ValueTag, tag).Float(ValueSimpleValue, value);
        WriteSummary(summaryValue, step, wallTime);
    }

    /// <summary>Logs a PNG (e.g. from <see cref="Images.PngEncoder"/>); <paramref name="channels"/> 1–4 becomes the colorspace.</summary>
    public void AddImage(string tag, byte[] png, int height, int width, int channels, long step, double? wallTime = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        ArgumentNullException.ThrowIfNull(png);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (channels is < 1 or > 4)
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "TensorBoard images have 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA) channels.");
        var image = new ProtobufWriter()
            .Int64(ImageHeight, height)
            .Int64(ImageWidth, width)
            .Int64(ImageColorspace, channels)
            .Bytes(ImageEncoded, png);
        var summaryValue = new ProtobufWriter().String(ValueTag, tag).Message(ValueImage, image);
        WriteSummary(summaryValue, step, wallTime);
    }

    public void Flush()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _stream.Flush();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            _stream.Dispose();
        }
    }

    private void WriteSummary(ProtobufWriter summaryValue, long step, double? wallTime)
    {
        var summary = new ProtobufWriter().Message(SummaryValue, summaryValue);
        var evt = new ProtobufWriter().Double(EventWallTime, wallTime ?? Now());
        // proto3 omits fields at their default, so step 0 is not written (readers default it to 0).
        if (step != 0)
            evt.Int64(EventStep, step);
        WriteEvent(evt.Message(EventSummary, summary));
    }

    /// <summary>TFRecord framing: u64 length, masked CRC32C of the length bytes, data, masked CRC32C of the data.</summary>
    private void WriteEvent(ProtobufWriter evt)
    {
        ReadOnlySpan<byte> data = evt.WrittenSpan;
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Mask(Crc32C.Compute(header[..8])));
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, Crc32C.Mask(Crc32C.Compute(data)));
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _stream.Write(header);
            _stream.Write(data);
            _stream.Write(footer);
        }
    }

    private static double Now() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;
}
