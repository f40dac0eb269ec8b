using System.Buffers.Binary;
using System.IO.Compression;

namespace DistillDiff.Formats.Idx;

/// <summary>
/// Reads IDX files (the MNIST / Fashion-MNIST format): a big-endian magic 0x0000TTDD (T = element type,
/// D = number of dimensions), D big-endian int32 sizes, then the elements. Gzip-compressed files are detected
/// by their magic bytes and decompressed transparently.
/// </summary>
public static class IdxReader
{
    private const byte UnsignedByteType = 0x08;
    private const int ImagesMagic = 0x00000803; // 2051
    private const int LabelsMagic = 0x00000801; // 2049

    public static IdxImages ReadImages(string path)
    {
        (int[] dims, byte[] payload) = Read(path, ImagesMagic, "image", "count, rows, cols");
        if (dims[1] == 0 || dims[2] == 0)
            throw new InvalidDataException($"IDX image file '{path}' declares images of {dims[1]} rows x {dims[2]} cols; both must be positive.");
        return new IdxImages(dims[0], dims[1], dims[2], payload);
    }

    public static byte[] ReadLabels(string path) => Read(path, LabelsMagic, "label", "count").Payload;

    private static (int[] Dims, byte[] Payload) Read(string path, int expectedMagic, string kind, string dimNames)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        int dimCount = expectedMagic & 0xFF;
        int headerSize = 4 + 4 * dimCount;
        using Stream stream = OpenDecompressed(path, out bool gzip);
        string source = gzip ? $"IDX {kind} file '{path}' (gzip)" : $"IDX {kind} file '{path}'";
        var header = new byte[headerSize];
        int got = Fill(stream, header, source);
        if (got < 4)
            throw new InvalidDataException($"{source} has {got} bytes, too short for the 4-byte magic number.");
        int magic = BinaryPrimitives.ReadInt32BigEndian(header);
        if (magic != expectedMagic)
            throw new InvalidDataException($"{source}: expected magic {expectedMagic} (0x{expectedMagic:X8}: unsigned bytes, " +
                $"{dimCount} dimension{(dimCount == 1 ? "" : "s")}), found {magic} (0x{magic:X8}){DescribeMagic(magic)}.");
        if (got < headerSize)
            throw new InvalidDataException($"{source} is truncated in its header: {got} of {headerSize} bytes ({dimNames}).");

        var dims = new int[dimCount];
        long expectedLength = 1;
        for (int i = 0; i < dimCount; i++)
        {
            uint dim = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4 + 4 * i));
            if (dim > int.MaxValue)
                throw new InvalidDataException($"{source}: dimension {i} ({dimNames}) is {dim}, larger than supported.");
            dims[i] = (int)dim;
            expectedLength *= dim;
            if (expectedLength > Array.MaxLength)
                throw new InvalidDataException(
                    $"{source}: dimensions [{string.Join(", ", dims.Take(i + 1))}] need more than {Array.MaxLength} bytes.");
        }

        string shape = string.Join(" x ", dims);
        var payload = new byte[expectedLength];
        int read = Fill(stream, payload, source);
        if (read < payload.Length)
            throw new InvalidDataException(
                $"{source} is truncated: dimensions {shape} ({dimNames}) need {expectedLength} data bytes after the {headerSize}-byte header, found {read}.");
        long trailing = CountRemaining(stream, source);
        if (trailing > 0)
            throw new InvalidDataException(
                $"{source} has {trailing} trailing bytes after the {expectedLength} data bytes implied by dimensions {shape} ({dimNames}).");
        return (dims, payload);
    }

    private static Stream OpenDecompressed(string path, out bool gzip)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            Span<byte> magic = stackalloc byte[2];
            int got = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            file.Position = 0;
            // RFC 1952 member header: ID1 = 0x1F, ID2 = 0x8B. A raw IDX file starts with two zero bytes.
            gzip = got == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
            return gzip ? new BufferedStream(new GZipStream(file, CompressionMode.Decompress), 1 << 16) : file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; returns the bytes read.</summary>
    private static int Fill(Stream stream, byte[] buffer, string source)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            // GZipStream's corruption errors do not say which file they came from.
            throw new InvalidDataException($"{source}: corrupt gzip data: {e.Message}", e);
        }
    }

    private static long CountRemaining(Stream stream, string source)
    {
        var buffer = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = Fill(stream, buffer, source)) > 0)
            total += n;
        return total;
    }

    private static string DescribeMagic(int magic) => magic switch
    {
        ImagesMagic => ", which is an image file",
        LabelsMagic => ", which is a label file",
        _ when (magic >> 16) != 0 => "; the first two bytes of an IDX file are zero",
        _ when ((magic >> 8) & 0xFF) != UnsignedByteType => $"; element type 0x{(magic >> 8) & 0xFF:X2} is not unsigned byte (0x08)",
        _ => $"; {magic & 0xFF} dimensions",
    };
}
