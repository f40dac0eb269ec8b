namespace DistillDiff.Formats.Tests.PyTorch;

using System.IO.Compression;
using System.Text;
using DistillDiff.Formats.PyTorch;
using DistillDiff.Formats.Safetensors;

/// <summary>
/// PyTorch checkpoints read as weights only. nested_zip.pt and nested_legacy.pt were written once by
/// tools/make_pytorch_fixtures.py with Debian's python3-torch 1.13 (torch.save, zip and legacy formats); the values
/// below are the ones that script builds, written out by hand. The malicious pickles are written here, byte by byte.
/// </summary>
public sealed class PyTorchCheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ddiff-pt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "PyTorch", name);

    [Theory]
    [InlineData("nested_zip.pt")]
    [InlineData("nested_legacy.pt")]
    public void LoadsTheSameTensorsTorchSaved(string file)
    {
        var path = Fixture(file);
        var sd = PyTorchCheckpoint.ReadStateDict(path, "state_dict").ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(["w", "wt", "b", "h", "n", "m"], sd.Keys);
        Assert.Equal(SafetensorsDType.F32, sd["w"].DType);
        Assert.Equal(new long[] { 2, 3 }, sd["w"].Shape);
        Assert.Equal([0f, 0.5f, 1f, 1.5f, 2f, 2.5f], sd["w"].ToFloats());
        // w.t(): a view of w's storage with strides (1, 3), materialised contiguous.
        Assert.Equal(new long[] { 3, 2 }, sd["wt"].Shape);
        Assert.Equal([0f, 1.5f, 0.5f, 2f, 1f, 2.5f], sd["wt"].ToFloats());
        Assert.Equal([1.5f, -2f], sd["b"].ToFloats()); // an nn.Parameter
        Assert.Equal(SafetensorsDType.F16, sd["h"].DType);
        Assert.Equal([0.25f, -1f, 3f], sd["h"].ToFloats());
        Assert.Equal(SafetensorsDType.I64, sd["n"].DType);
        Assert.Equal((7L, -9L), (BitConverter.ToInt64(sd["n"].Data, 0), BitConverter.ToInt64(sd["n"].Data, 8)));
        Assert.Equal(SafetensorsDType.BOOL, sd["m"].DType);
        Assert.Equal(new byte[] { 1, 0 }, sd["m"].Data);

        var ema = PyTorchCheckpoint.ReadStateDict(path, "ema").Single();
        Assert.Equal(("w", SafetensorsDType.F64), (ema.Key, ema.Value.DType));
        Assert.Equal([0f, 0.25f, 0.5f, 0.75f, 1f, 1.25f], ema.Value.ToFloats());

        var root = Assert.IsType<PickleDict>(PyTorchCheckpoint.Load(path));
        Assert.Equal(7L, root["step"]);
        Assert.Equal(0.001, root["lr"]);
        Assert.Equal("fixture", root["note"]);
    }

    [Fact]
    public void SeveralNestedStateDictsMustBeChosenByName()
    {
        var ex = Assert.Throws<PyTorchFormatException>(() => PyTorchCheckpoint.ReadStateDict(Fixture("nested_zip.pt")));
        Assert.Contains("several state dicts (state_dict, ema)", ex.Message);
        Assert.Contains("no 'model'", Assert.Throws<PyTorchFormatException>(() => PyTorchCheckpoint.ReadStateDict(Fixture("nested_zip.pt"), "model")).Message);
    }

    [Fact]
    public void ConvertsToSafetensorsWithNamesDtypesAndBytes()
    {
        var sd = PyTorchCheckpoint.ReadStateDict(Fixture("nested_zip.pt"), "state_dict");
        var bytes = SafetensorsWriter.Serialize(PyTorchCheckpoint.ToSafetensors(sd));
        using var st = SafetensorsFile.Parse(bytes, "converted");
        Assert.Equal(6, st.Tensors.Count);
        Assert.Equal(SafetensorsDType.F16, st["h"].DType);
        Assert.Equal(sd.Single(p => p.Key == "wt").Value.Data, st.GetBytes("wt").ToArray());
    }

    [Fact]
    public void AReduceCallingOsSystemIsRefusedByNameAndNothingRuns()
    {
        var marker = Path.Combine(_dir, "pwned");
        // pickle.dumps(Evil(), protocol=2) where Evil.__reduce__ returns (os.system, ("touch <marker>",)):
        // PROTO 2, GLOBAL 'posix system', BINUNICODE command, TUPLE1, REDUCE, STOP.
        var command = Encoding.UTF8.GetBytes($"touch {marker}");
        byte[] pickle = [0x80, 2, (byte)'c', .. "posix\nsystem\n"u8, (byte)'X', .. BitConverter.GetBytes(command.Length), .. command, 0x85, (byte)'R', (byte)'.'];
        foreach (var path in new[] { ZipCheckpoint("evil_zip.pt", pickle), Raw("evil_legacy.pt", pickle) })
        {
            var ex = Assert.Throws<PyTorchFormatException>(() => PyTorchCheckpoint.Load(path));
            Assert.Contains("'posix.system'", ex.Message);
            Assert.Contains(path, ex.Message);
            Assert.False(File.Exists(marker));
        }
    }

    [Fact]
    public void AnUnknownGlobalIsRefusedByName()
    {
        // A class of the training script, instantiated with NEWOBJ: PROTO 2, GLOBAL '__main__ Config', EMPTY_TUPLE, NEWOBJ, STOP.
        byte[] pickle = [0x80, 2, (byte)'c', .. "__main__\nConfig\n"u8, (byte)')', 0x81, (byte)'.'];
        var ex = Assert.Throws<PyTorchFormatException>(() => PyTorchCheckpoint.Load(ZipCheckpoint("class.pt", pickle)));
        Assert.Contains("'__main__.Config'", ex.Message);
        Assert.Contains("torch._utils._rebuild_tensor_v2", ex.Message); // the allowed list
        // STACK_GLOBAL (protocol 4) names it the same way.
        byte[] stack = [0x80, 4, 0x8c, 8, .. "builtins"u8, 0x8c, 4, .. "eval"u8, 0x93, (byte)'.'];
        Assert.Contains("'builtins.eval'", Assert.Throws<PyTorchFormatException>(() => PyTorchCheckpoint.Load(ZipCheckpoint("eval.pt", stack))).Message);
    }

    [Fact]
    public void DamagedFilesAreRefusedWithThePath()
    {
        var truncated = Path.Combine(_dir, "truncated.pt");
        File.WriteAllBytes(truncated, File.ReadAllBytes(Fixture("nested_legacy.pt"))[..700]);
        Assert.Contains(truncated, Assert.Throws<PyTorchFormatException>(() => PyTorchCheckpoint.Load(truncated)).Message);
        var text = Path.Combine(_dir, "text.pt");
        File.WriteAllText(text, "hello");
        Assert.Contains(text, Assert.ThrowsAny<IOException>(() => PyTorchCheckpoint.Load(text)).Message);
        // A storage shorter than its tensor: the zip fixture with data/0 cut to 8 bytes.
        var cut = Path.Combine(_dir, "cut.pt");
        using (var src = ZipFile.OpenRead(Fixture("nested_zip.pt")))
        using (var dst = ZipFile.Open(cut, ZipArchiveMode.Create))
            foreach (var e in src.Entries)
            {
                using var r = e.Open();
                using var ms = new MemoryStream();
                r.CopyTo(ms);
                var data = e.FullName.EndsWith("data/0") ? ms.ToArray()[..8] : ms.ToArray();
                using var w = dst.CreateEntry(e.FullName).Open();
                w.Write(data);
            }
        Assert.Contains("storage 0 has 8 bytes", Assert.Throws<PyTorchFormatException>(() => PyTorchCheckpoint.Load(cut)).Message);
    }

    private string ZipCheckpoint(string name, byte[] pickle)
    {
        var path = Path.Combine(_dir, name);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        using (var s = zip.CreateEntry("archive/data.pkl").Open()) s.Write(pickle);
        using (var s = zip.CreateEntry("archive/version").Open()) s.Write("3\n"u8);
        return path;
    }

    private string Raw(string name, byte[] pickle)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, pickle);
        return path;
    }
}
