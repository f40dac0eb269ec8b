namespace DistillDiff.Training.Tests;

using System.Diagnostics;
using DistillDiff.Recipes;
using DistillDiff.Training.Runs;
using DistillDiff.Training.Trainers;

/// <summary>
/// One writer per run folder, --overwrite only of run folders and only after the whole recipe is checked, run
/// names that cannot escape run.output_dir, and out-of-range numbers refused before any folder is made.
/// </summary>
public class RunFolderTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task A_second_process_on_a_live_run_is_refused_naming_the_holder_and_the_run_finishes_intact()
    {
        var dir = TestRecipes.TempDir("two-procs");
        var recipe = TestRecipes.Toy(dir, teacherSteps: 300, updates: 40);
        var run = Path.Combine(dir, "toy");
        using var first = Process.Start(Cli.StartInfo(["train", recipe]))!;
        var firstOut = first.StandardOutput.ReadToEndAsync();
        var firstErr = first.StandardError.ReadToEndAsync();
        var deadline = DateTime.UtcNow + Timeout;
        while (!File.Exists(Path.Combine(run, "metrics.jsonl")) || File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Length < 2)
        {
            Assert.False(first.HasExited, "the first run ended early: " + (first.HasExited ? await firstErr : ""));
            Assert.True(DateTime.UtcNow < deadline, "the first run logged nothing in time");
            Thread.Sleep(20);
        }

        var resume = Cli.Run(["resume", run], Timeout);
        var overwrite = Cli.Run(["train", recipe, "--overwrite"], Timeout);

        foreach (var (code, _, stderr) in new[] { resume, overwrite })
        {
            Assert.Equal(1, code);
            var error = Assert.Single(Cli.ErrorLines(stderr));
            Assert.StartsWith($"error: run folder {run} is in use by another process (pid {first.Id} on ", error);
            Assert.Contains("distilldiff train", error);
        }
        Assert.True(first.WaitForExit(Timeout));
        var err = await firstErr;
        Assert.True(first.ExitCode == 0, err);
        Assert.True(File.Exists(Path.Combine(run, "models", "student-1steps", "diffusion_pytorch_model.safetensors")));
        Assert.All(MetricsLines(run), l => Assert.StartsWith("{\"phase\":", l));
        Assert.Contains("done: models in", await firstOut + err);
    }

    [Fact]
    public void The_lock_is_exclusive_while_held_and_a_released_or_dead_holder_does_not_block()
    {
        var dir = TestRecipes.TempDir("lock");
        using (var held = RunLock.Acquire(dir))
        {
            Assert.True(RunLock.IsHeld(dir));
            var error = Assert.Throws<RunLockedException>(() => RunLock.Acquire(dir));
            Assert.Contains($"(pid {Environment.ProcessId} on ", error.Message);
        }
        Assert.False(RunLock.IsHeld(dir));
        // What a SIGKILLed holder leaves: the lock file and its owner note, but no kernel lock.
        File.WriteAllText(Path.Combine(dir, RunLock.OwnerFile), "pid 999999 on elsewhere, started long ago: distilldiff train x.yaml\n");
        using var again = RunLock.Acquire(dir);
        Assert.Contains($"pid {Environment.ProcessId} ", File.ReadAllText(Path.Combine(dir, RunLock.OwnerFile)));
    }

    [Fact]
    public void Overwrite_of_a_folder_that_is_not_a_run_is_refused_and_its_files_stay()
    {
        var dir = TestRecipes.TempDir("overwrite-nonrun");
        var recipe = TestRecipes.Toy(dir);
        var precious = Path.Combine(dir, "toy", "thesis.tex");
        Directory.CreateDirectory(Path.GetDirectoryName(precious)!);
        File.WriteAllText(precious, "three years of work");

        var (code, _, stderr) = Cli.Run(["train", recipe, "--overwrite"], Timeout);

        Assert.Equal(1, code);
        Assert.Equal($"error: --overwrite refused: {Path.Combine(dir, "toy")} is not a DistillDiff run folder (no .distilldiff-run), so nothing in it was deleted; " +
                     "pick another run.name or --run-dir, or delete the folder yourself", Assert.Single(Cli.ErrorLines(stderr)));
        Assert.Equal("three years of work", File.ReadAllText(precious));
        Assert.Equal(["thesis.tex"], Directory.GetFileSystemEntries(Path.Combine(dir, "toy")).Select(Path.GetFileName));
    }

    [Fact]
    public void Overwrite_with_a_bad_value_refuses_before_deleting_the_finished_run()
    {
        var dir = TestRecipes.TempDir("overwrite-typo");
        var recipe = TestRecipes.Toy(dir);
        var run = Path.Combine(dir, "toy");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, RunDirectory.MarkerFile), "");
        File.WriteAllText(Path.Combine(run, "config.yaml"), "finished: true\n");

        // A data kind is only checked when the data set is built, which used to happen after the old run was deleted.
        var (code, _, stderr) = Cli.Run(["train", recipe, "--overwrite", "--set", "data.kind=gausian_mixture"], Timeout);

        Assert.Equal(1, code);
        Assert.StartsWith("error: --set data.kind=gausian_mixture: ", Assert.Single(Cli.ErrorLines(stderr)));
        Assert.Contains("gausian_mixture", stderr);
        Assert.Equal("finished: true\n", File.ReadAllText(Path.Combine(run, "config.yaml")));
    }

    [Theory]
    [InlineData("run.name=../escape", "run.name", "must be a plain folder name")]
    [InlineData("run.name=/tmp/absolute", "run.name", "must be a plain folder name")]
    [InlineData("eval.steps=[0, -1]", "eval.steps.0", "must be between 1 and 10000, got '0'")]
    [InlineData("teacher.lr=.inf", "teacher.lr", "must be a finite number, got '.inf'")]
    [InlineData("teacher.batch_size=100000000", "teacher.batch_size", "must be between 1 and 65536, got '100000000'")]
    [InlineData("data.count=0", "data.count", "must be between 1 and 10000000, got 0")]
    [InlineData("model.num_class_embeds=3", "model.num_class_embeds", "must be at least the data's 8 classes")]
    [InlineData("distill.start_steps=1048576", "distill.start_steps", "must be between 2 and 65536, got '1048576'")]
    [InlineData("run.keep_checkpoints=0", "run.keep_checkpoints", "must be between 1 and 1000, got '0'")]
    public void Out_of_range_values_are_refused_with_the_key_before_a_folder_is_made(string set, string key, string problem)
    {
        var dir = TestRecipes.TempDir("range");
        var recipe = TestRecipes.Toy(dir);

        var error = Assert.Throws<RecipeException>(() => TrainingJob.Start(RecipeLoader.Load(recipe, [set])).Dispose());

        Assert.Equal(key, error.Key);
        Assert.Contains($"key '{key}' {problem}", error.Message);
        Assert.StartsWith($"--set {set}: ", error.Message);
        Assert.Equal(["recipe.yaml"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("--steps", "0", "--steps must be between 1 and 10000, got 0")]
    [InlineData("--steps", "-3", "--steps must be between 1 and 10000, got -3")]
    [InlineData("--steps", "100000000", "--steps must be between 1 and 10000, got 100000000")]
    [InlineData("--count", "2000000000", "--count must be between 1 and 4096, got 2000000000")]
    public void Sample_options_out_of_range_are_one_error_line_before_anything_loads(string option, string value, string message)
    {
        var args = new List<string> { "sample", "/nonexistent/model", "--out", Path.Combine(Path.GetTempPath(), "x.png"), option, value };
        if (option != "--steps") args.AddRange(["--steps", "4"]);

        var (code, stdout, stderr) = Cli.Run(args, Timeout);

        Assert.Equal(1, code);
        Assert.Equal($"error: {message}", Assert.Single(Cli.ErrorLines(stderr)));
        Assert.False(Cli.HasStackTrace(stderr + stdout), stderr);
    }

    private static string[] MetricsLines(string run) => File.ReadAllLines(Path.Combine(run, "metrics.jsonl"));
}
