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
}
