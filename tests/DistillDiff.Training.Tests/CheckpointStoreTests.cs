namespace DistillDiff.Training.Tests;

using DistillDiff.Training.Checkpoints;

public class CheckpointStoreTests
{
    [Fact]
    public void ASecondCheckpointAtTheSameStepNeverReplacesTheOneLatestNames()
    {
        var store = new CheckpointStore(TestRecipes.TempDir("store"), keep: 3);
        var first = store.Save(600, dir => File.WriteAllText(Path.Combine(dir, "x"), "end of phase"));
        Assert.Equal(first, store.Latest());
        var second = store.Save(600, dir => File.WriteAllText(Path.Combine(dir, "x"), "phase completed"));
        Assert.NotEqual(first, second);
        Assert.Equal("step-000000600-1", Path.GetFileName(second));
        Assert.Equal("end of phase", File.ReadAllText(Path.Combine(first, "x")));
        Assert.Equal(second, store.Latest());
    }

    [Fact]
    public void PrunesToTheNewestAndRemovesHalfWrittenFolders()
    {
        var root = TestRecipes.TempDir("store");
        var store = new CheckpointStore(root, keep: 2);
        store.Save(100, _ => { });
        store.Save(200, _ => { });
        Assert.Throws<IOException>(() => store.Save(300, _ => throw new IOException("disk full")));
        Assert.EndsWith("step-000000200", store.Latest());
        Directory.CreateDirectory(Path.Combine(root, ".step-000000400.tmp-99999"));  // a killed writer's leftovers
        store.Save(400, _ => { });
        Assert.Equal(new[] { "latest", "step-000000200", "step-000000400" },
            Directory.EnumerateFileSystemEntries(root).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
    }

    [Fact]
    public void LatestIntactSkipsADamagedNewestCheckpointWithAWarningAndRepointsLatest()
    {
        var root = TestRecipes.TempDir("store");
        var store = new CheckpointStore(root, keep: 3);
        store.Save(100, dir => File.WriteAllText(Path.Combine(dir, "ok"), "1"));
        var older = store.Save(200, dir => File.WriteAllText(Path.Combine(dir, "ok"), "1"));
        var newest = store.Save(300, dir => File.WriteAllText(Path.Combine(dir, "ok"), "truncated"));
        var warnings = new List<string>();

        var chosen = store.LatestIntact(dir => File.ReadAllText(Path.Combine(dir, "ok")) == "1" ? null : "ok is damaged", warnings.Add);

        Assert.Equal(older, chosen);
        Assert.Equal([$"checkpoint {newest} is damaged (ok is damaged); trying the previous one",
                      $"resuming from checkpoint {older}; {Path.Combine(root, "latest")} now names it"], warnings);
        Assert.Equal(older, store.Latest());
        Assert.True(Directory.Exists(Path.Combine(root, "damaged-step-000000300")));
    }

    [Fact]
    public void LatestIntactRebuildsAMissingPointerInsteadOfStartingOver()
    {
        var root = TestRecipes.TempDir("store");
        var store = new CheckpointStore(root, keep: 3);
        store.Save(100, _ => { });
        var newest = store.Save(200, _ => { });
        File.Delete(Path.Combine(root, "latest"));
        var warnings = new List<string>();

        Assert.Equal(newest, store.LatestIntact(_ => null, warnings.Add));
        Assert.StartsWith($"{Path.Combine(root, "latest")} is missing", warnings[0]);
        Assert.Equal(newest, store.Latest());
        Assert.Null(new CheckpointStore(TestRecipes.TempDir("empty")).LatestIntact(_ => null, warnings.Add));
    }

    [Fact]
    public void LatestIntactRefusesWhenNoCheckpointIsIntact()
    {
        var root = TestRecipes.TempDir("store");
        var store = new CheckpointStore(root, keep: 3);
        store.Save(100, _ => { });

        var error = Assert.Throws<InvalidDataException>(() => store.LatestIntact(_ => "bad", _ => { }));
        Assert.StartsWith($"no intact checkpoint in {root} (step-000000100: bad)", error.Message);
    }
}
