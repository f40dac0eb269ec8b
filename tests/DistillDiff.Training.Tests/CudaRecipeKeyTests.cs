namespace DistillDiff.Training.Tests;

using DistillDiff.Engine;
using DistillDiff.Recipes;
using DistillDiff.Training.Config;

/// <summary>Recipe keys of the CUDA paths, refused before anything runs where the device cannot honour them.</summary>
public class CudaRecipeKeyTests
{
    [Fact]
    public void PinMemoryTrueOnACpuRunIsRefusedNamingTheKey()
    {
        var dir = TestRecipes.TempDir("pin");
        var path = TestRecipes.Toy(dir);
        var job = JobConfig.From(RecipeLoader.Load(path, ["data.pin_memory=true", "run.device=cpu"]));
        var e = Assert.Throws<RecipeException>(() => JobChecks.CheckData(job));
        Assert.Equal("data.pin_memory", e.Key);
        Assert.StartsWith("--set data.pin_memory=true: key 'data.pin_memory' is true, but pinned host memory exists only with a CUDA device and run.device is 'cpu'", e.Message);

        // Unset or false: accepted anywhere (unset pins whenever the device is CUDA).
        JobChecks.CheckData(JobConfig.From(RecipeLoader.Load(path, ["run.device=cpu"])));
        JobChecks.CheckData(JobConfig.From(RecipeLoader.Load(path, ["data.pin_memory=false", "run.device=cpu"])));
        if (!Torch.Cuda.IsAvailable)
            Assert.Throws<RecipeException>(() => JobChecks.CheckData(JobConfig.From(RecipeLoader.Load(path, ["data.pin_memory=true", "run.device=auto"]))));
    }
}
