namespace DistillDiff.Training.Tests;

using System.Buffers.Binary;
using System.Diagnostics;
using DistillDiff.Formats.Safetensors;

/// <summary>A tiny trained teacher folder that the weight-file tests damage copies of.</summary>
public sealed class TinyModel
{
    public TinyModel()
    {
        Dir = TestRecipes.TempDir("tiny-model");
        var configs = Path.Combine(TestRecipes.RepoRoot, "configs");
        var recipe = Path.Combine(Dir, "recipe.yaml");
        File.WriteAllText(recipe, $"""
            include:
              - {configs}/data/toy2d.yaml
              - {configs}/model/mlp.yaml
              - {configs}/diffusion/cosine-v.yaml
            data:
              count: 2000
            model:
              hidden: 16
              blocks: 1
            run:
              name: tiny
              output_dir: {Dir}
              threads: 1
              tensor_board: false
            teacher:
              steps: 20
              batch_size: 32
            eval:
              steps: [1]
              num_samples: 100
              projections: 8
            """);
        var (code, _, stderr) = Cli.Run(["train", recipe], TimeSpan.FromMinutes(2));
        if (code != 0) throw new InvalidOperationException($"training the tiny model failed: {stderr}");
        Folder = Path.Combine(Dir, "tiny", "models", "teacher");
    }

    public string Dir { get; }

    public string Folder { get; }

    /// <summary>A copy of the model folder whose weights file the caller may change.</summary>
    public (string Folder, string Weights) Copy(string name)
    {
        var copy = Path.Combine(Dir, name);
        Directory.CreateDirectory(copy);
        foreach (var f in Directory.GetFiles(Folder)) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)), overwrite: true);
        return (copy, Path.Combine(copy, "diffusion_pytorch_model.safetensors"));
    }
}

/// <summary>
/// Every refused weight file is one <c>error:</c> line and exit code 1, never a stack trace: malformed files, a
/// float tensor declared as I32 (used to load as garbage), NaN weights (used to give blank pictures), flipped data
/// bytes (caught by the checksums DistillDiff writes), 2,001 dimensions; and a seeded fuzz of mutated files.
/// </summary>
public class WeightFileTests(TinyModel tiny) : IClassFixture<TinyModel>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private (int Code, string Stdout, string Stderr) Sample(string folder) =>
        Cli.Run(["sample", folder, "--steps", "1", "--count", "4", "--out", Path.Combine(folder, "out.png")], Timeout);

    [Fact]
    public void The_undamaged_copy_samples()
    {
        var (folder, _) = tiny.Copy("intact");
        var (code, stdout, stderr) = Sample(folder);
        Assert.True(code == 0, stderr);
        Assert.Contains("4 samples", stdout);
    }

    [Fact]
    public void A_truncated_file_is_one_error_line_with_exit_code_1()
    {
        var (folder, weights) = tiny.Copy("truncated");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..^10]);

        var (code, _, stderr) = Sample(folder);

        Assert.Equal(1, code);
        Assert.StartsWith($"error: Invalid safetensors file '{weights}': file is truncated", Assert.Single(Cli.ErrorLines(stderr)));
        Assert.False(Cli.HasStackTrace(stderr), stderr);
    }

    [Fact]
    public void A_flipped_byte_inside_tensor_data_is_caught_by_the_checksums()
    {
        var (folder, weights) = tiny.Copy("flipped");
        var bytes = File.ReadAllBytes(weights);
        bytes[^3] ^= 0x10;
        File.WriteAllBytes(weights, bytes);

        var (code, _, stderr) = Sample(folder);

        Assert.Equal(1, code);
        Assert.Matches($"^error: Invalid safetensors file '{weights}': tensor data does not match the checksums in __metadata__ \\(the file is damaged\\): '[^']+' \\(stored [0-9a-f]{{8}}, computed [0-9a-f]{{8}}\\)$",
            Assert.Single(Cli.ErrorLines(stderr)));
    }

    [Fact]
    public void A_float_weight_stored_as_I32_is_refused_not_converted()
    {
        var (folder, weights) = tiny.Copy("as-i32");
        string victim;
        using (var file = SafetensorsFile.Open(weights))
        {
            victim = file.Tensors.First(t => t.DType == SafetensorsDType.F32).Name;
            // A file from elsewhere: same bytes, I32 declared, no DistillDiff checksums.
            var tensors = file.Tensors.Select(t => new SafetensorsTensor(t.Name, t.Name == victim ? SafetensorsDType.I32 : t.DType, t.Shape, file.GetBytes(t.Name).ToArray())).ToList();
            file.Dispose();
            SafetensorsWriter.Write(weights, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        }

        var (code, _, stderr) = Sample(folder);

        Assert.Equal(1, code);
        Assert.Single(Cli.ErrorLines(stderr));
        Assert.Contains($"{victim}: expected a Float32 tensor, got Int32", stderr);
        Assert.False(Cli.HasStackTrace(stderr), stderr);
    }

    [Fact]
    public void Nan_weights_are_refused_with_the_tensor_names()
    {
        var (folder, weights) = tiny.Copy("nan");
        string victim;
        using (var file = SafetensorsFile.Open(weights))
        {
            victim = file.Tensors.First(t => t.DType == SafetensorsDType.F32).Name;
            var tensors = file.Tensors.Select(t =>
            {
                var data = file.GetBytes(t.Name).ToArray();
                if (t.Name == victim) BinaryPrimitives.WriteSingleLittleEndian(data, float.NaN);
                return new SafetensorsTensor(t.Name, t.DType, t.Shape, data);
            }).ToList();
            file.Dispose();
            SafetensorsWriter.Write(weights, tensors, SafetensorsChecksums.With(tensors, new Dictionary<string, string> { ["format"] = "pt" }));
        }

        var (code, _, stderr) = Sample(folder);

        Assert.Equal(1, code);
        Assert.Equal($"error: {weights}: 1 tensor(s) hold NaN or infinite values: {victim} (the run that wrote them diverged, or the file is damaged)",
            Assert.Single(Cli.ErrorLines(stderr)));
    }

    [Fact]
    public void A_tensor_of_2001_dimensions_is_refused_naming_file_and_tensor()
    {
        var (folder, weights) = tiny.Copy("rank");
        SafetensorsWriter.Write(weights, [new SafetensorsTensor("deep", SafetensorsDType.F32, Enumerable.Repeat(1L, 2001).ToArray(), new byte[4])]);

        var (code, _, stderr) = Sample(folder);

        Assert.Equal(1, code);
        Assert.Equal($"error: {weights}: tensor 'deep' has 2001 dimensions; at most 64 are supported", Assert.Single(Cli.ErrorLines(stderr)));
    }

    [Fact]
    public void Fuzz_every_mutated_file_loads_or_is_one_error_line_with_exit_code_1()
    {
        // Seeded and bounded: the same 16 mutations every run, at most ~2 minutes on a slow machine.
        var random = new Random(20261130);
        var original = File.ReadAllBytes(Path.Combine(tiny.Folder, "diffusion_pytorch_model.safetensors"));
        var headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        var budget = Stopwatch.StartNew();
        var outcomes = new List<string>();
        for (var i = 0; i < 16 && budget.Elapsed < TimeSpan.FromMinutes(2); i++)
        {
            var (folder, weights) = tiny.Copy($"fuzz-{i}");
            var (mutated, how) = Mutate(original, headerEnd, random);
            File.WriteAllBytes(weights, mutated);

            var (code, stdout, stderr) = Sample(folder);

            var what = $"mutation {i} ({how}): exit {code}\n{stderr}";
            Assert.True(code is 0 or 1, what);
            Assert.False(Cli.HasStackTrace(stdout + stderr), what);
            if (code == 1) Assert.True(Cli.ErrorLines(stderr).Length == 1, what);
            outcomes.Add($"{how} -> {code}");
        }
        Assert.True(outcomes.Count >= 8, $"only {outcomes.Count} mutations ran in the time budget");
        Assert.Contains(outcomes, o => o.EndsWith("-> 1", StringComparison.Ordinal));
    }

    private static (byte[] Bytes, string How) Mutate(byte[] original, int headerEnd, Random random)
    {
        var b = (byte[])original.Clone();
        switch (random.Next(6))
        {
            case 0:
            {
                var at = random.Next(8, headerEnd);
                b[at] = (byte)random.Next(256);
                return (b, $"header byte {at} set to 0x{b[at]:X2}");
            }
            case 1:
            {
                var at = random.Next(headerEnd, b.Length);
                b[at] ^= (byte)(1 << random.Next(8));
                return (b, $"data bit flipped at {at}");
            }
            case 2:
            {
                var length = random.Next(0, b.Length);
                return (b[..length], $"truncated to {length} bytes");
            }
            case 3:
            {
                BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)random.NextInt64());
                return (b, "random header-size prefix");
            }
            case 4:
            {
                // Digits in the header changed: shapes and offsets that still parse but no longer agree.
                var digits = Enumerable.Range(8, headerEnd - 8).Where(j => b[j] is >= (byte)'0' and <= (byte)'9').ToList();
                var at = digits[random.Next(digits.Count)];
                b[at] = (byte)('0' + random.Next(10));
                return (b, $"header digit {at} set to {(char)b[at]}");
            }
            default:
            {
                var at = random.Next(8, b.Length);
                var extra = new byte[random.Next(1, 64)];
                random.NextBytes(extra);
                return ([.. b[..at], .. extra, .. b[at..]], $"{extra.Length} random bytes inserted at {at}");
            }
        }
    }
}
