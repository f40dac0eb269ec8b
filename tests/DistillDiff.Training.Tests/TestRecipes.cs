namespace DistillDiff.Training.Tests;

/// <summary>Small recipes written into temporary folders, with the repository's configs/ as their include root.</summary>
internal static class TestRecipes
{
    public static string RepoRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "DistillDiff.sln"))) return d.FullName;
        throw new InvalidOperationException("tests must run inside the repository");
    }

    public static string TempDir(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "distilldiff-tests", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A fast toy recipe: tiny MLP teacher, then progressive distillation 8 -> 4 -> 2 -> 1 (or ADD with adversarial).</summary>
    public static string Toy(string dir, int teacherSteps = 400, int updates = 150, int checkpointEvery = 1000, string extra = "", bool adversarial = false)
    {
        var distill = adversarial
            ? $"""
              distill:
                method: adversarial
                updates: {updates}
                batch_size: 128
                lr: 1e-4
                discriminator_lr: 2e-4
                r1_gamma: 1e-3
                r1_every: 2
              """
            : $"""
              distill:
                start_steps: 8
                end_steps: 1
                updates_per_round: {updates}
                batch_size: 128
                lr: 5e-4
              """;
        var configs = Path.Combine(RepoRoot, "configs");
        var text = $"""
            include:
              - {configs}/data/toy2d.yaml
              - {configs}/model/mlp.yaml
              - {configs}/diffusion/cosine-v.yaml
            data:
              count: 20000
            model:
              hidden: 64
              blocks: 2
            run:
              name: toy
              output_dir: {dir}
              seed: 3
              threads: 1
              log_every: 25
              checkpoint_every: {checkpointEvery}
              tensor_board: false
            teacher:
              steps: {teacherSteps}
              batch_size: 128
              lr: 2e-3
              warmup_steps: 20
              ema_decay: 0.99
            {distill}
            eval:
              steps: [1, 2, 4, 8]
              num_samples: 600
              projections: 128
            {extra}
            """;
        var path = Path.Combine(dir, "recipe.yaml");
        File.WriteAllText(path, text);
        return path;
    }
}
