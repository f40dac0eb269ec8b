namespace DistillDiff.Export.Tests;

using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

/// <summary>Reads back the pixel bytes of a PNG written by PngEncoder (8-bit, filter type 0 rows), to compare pictures.</summary>
internal static class PngPixels
{
    public static byte[] Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var idat = new MemoryStream();
        int width = 0, height = 0, channels = 0;
        for (var pos = 8; pos < bytes.Length;)
        {
            var len = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(pos));
            var type = Encoding.ASCII.GetString(bytes, pos + 4, 4);
            var data = bytes.AsSpan(pos + 8, len);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                channels = data[9] switch { 0 => 1, 4 => 2, 2 => 3, 6 => 4, _ => throw new InvalidDataException("color type") };
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }
            pos += 12 + len;
        }
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        var raw = new MemoryStream();
        z.CopyTo(raw);
        var rows = raw.ToArray();
        var rowBytes = width * channels;
        var pixels = new byte[rowBytes * height];
        for (var y = 0; y < height; y++)
        {
            if (rows[y * (rowBytes + 1)] != 0) throw new InvalidDataException($"{path}: row {y} uses PNG filter {rows[y * (rowBytes + 1)]}");
            Array.Copy(rows, y * (rowBytes + 1) + 1, pixels, y * rowBytes, rowBytes);
        }
        return pixels;
    }
}
