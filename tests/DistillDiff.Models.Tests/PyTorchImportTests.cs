namespace DistillDiff.Models.Tests;

using System.IO.Compression;
using System.Text;
using DistillDiff.Engine;
using DistillDiff.Engine.Nn;
using DistillDiff.Models.Checkpoints;
using DistillDiff.Models.UNet2D;

/// <summary>
/// `distilldiff convert` end to end: a UNet2DModel state dict written here as torch.save's zip format (the pickle
/// protocol-2 opcodes torch.save emits, nested as {"optimizer": {...}, "ema": OrderedDict("module." + name: tensor)}),
/// converted with --key ema --strip-prefix module. and the model's config.json, loads into the same weights.
/// </summary>
public class PyTorchImportTests
{
    [Fact]
    public void ATorchSaveCheckpointBecomesALoadableModelFolder()
    {
        Torch.ManualSeed(3);
        var dir = TempDir.Create();
        try
        {
            using var source = new UNet2DModel(TestConfigs.SmallUNet());
            var sd = source.StateDict();
            var pt = Path.Combine(dir, "teacher.ckpt");
            WriteTorchZip(pt, sd.Select(kv => ("module." + kv.Key, kv.Value.Shape, kv.Value.Contiguous().ToArray<float>())).ToList());
            var config = Path.Combine(dir, "config.json");
            ModelConfigJson.Write(config, source.Config, "UNet2DModel");

            var outDir = Path.Combine(dir, "teacher");
            var summary = PyTorchImport.Convert(pt, outDir, key: "ema", configPath: config, stripPrefix: "module.");
            Assert.Contains($"{sd.Count} tensors", summary);
            Assert.Contains("loads as UNet2DModel", summary);

            var (loaded, _) = ModelFolder.Load(outDir);
            using var model = loaded;
            foreach (var (name, tensor) in model.StateDict())
                Assert.Equal(sd[name].ToArray<float>(), tensor.ToArray<float>());

            // Without --key the checkpoint is ambiguous only if it holds several dicts of tensors; here "ema" is the one.
            PyTorchImport.Convert(pt, Path.Combine(dir, "again"), configPath: config, stripPrefix: "module.");
            // Without --strip-prefix the names do not fit the model: every one is reported, nothing is published.
            var bad = Path.Combine(dir, "bad");
            var ex = Assert.Throws<StateDictMismatchException>(() => PyTorchImport.Convert(pt, bad, key: "ema", configPath: config));
            Assert.Contains("module.conv_in.weight", ex.Message);
            Assert.False(Directory.Exists(bad));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>torch.save(dict(optimizer=dict(step=3), ema=OrderedDict(...float32 tensors...)), path), written by hand.</summary>
    private static void WriteTorchZip(string path, List<(string Name, long[] Shape, float[] Data)> tensors)
    {
        var p = new MemoryStream();
        void Op(params byte[] b) => p.Write(b);
        void Str(string s)
        {
            var b = Encoding.UTF8.GetBytes(s);
            Op((byte)'X');
            p.Write(BitConverter.GetBytes(b.Length));
            p.Write(b);
        }
        void Int(long v)
        {
            Op((byte)'J');
            p.Write(BitConverter.GetBytes((int)v));
        }
        void Global(string module, string name) => p.Write(Encoding.ASCII.GetBytes($"c{module}\n{name}\n"));
        void Tuple(long[] values)
        {
            Op((byte)'(');
            foreach (var v in values) Int(v);
            Op((byte)'t');
        }

        Op(0x80, 2, (byte)'}', (byte)'(');                    // PROTO 2, EMPTY_DICT, MARK
        Str("optimizer");
        Op((byte)'}');
        Str("step");
        Int(3);
        Op((byte)'s');                                       // SETITEM
        Str("ema");
        Global("collections", "OrderedDict");
        Op((byte)')', (byte)'R', (byte)'(');                  // EMPTY_TUPLE, REDUCE, MARK
        for (var i = 0; i < tensors.Count; i++)
        {
            var (name, shape, _) = tensors[i];
            var stride = new long[shape.Length];
            for (long d = shape.Length - 1, s = 1; d >= 0; s *= shape[d], d--) stride[d] = s;
            Str(name);
            Global("torch._utils", "_rebuild_tensor_v2");
            Op((byte)'(', (byte)'(');
            Str("storage");
            Global("torch", "FloatStorage");
            Str(i.ToString());
            Str("cpu");
            Int(tensors[i].Data.Length);
            Op((byte)'t', (byte)'Q');                         // TUPLE, BINPERSID
            Int(0);
            Tuple(shape);
            Tuple(stride);
            Op(0x89);                                         // NEWFALSE
            Global("collections", "OrderedDict");
            Op((byte)')', (byte)'R', (byte)'t', (byte)'R');
        }
        Op((byte)'u', (byte)'u', (byte)'.');                  // SETITEMS (ema), SETITEMS (top), STOP
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        using (var s = zip.CreateEntry("teacher/data.pkl", CompressionLevel.NoCompression).Open()) s.Write(p.ToArray());
        for (var i = 0; i < tensors.Count; i++)
        {
            var bytes = new byte[tensors[i].Data.Length * 4];
            Buffer.BlockCopy(tensors[i].Data, 0, bytes, 0, bytes.Length);
            using var s = zip.CreateEntry($"teacher/data/{i}", CompressionLevel.NoCompression).Open();
            s.Write(bytes);
        }
        using (var s = zip.CreateEntry("teacher/version").Open()) s.Write("3\n"u8);
    }
}
