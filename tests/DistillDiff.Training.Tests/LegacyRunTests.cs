namespace DistillDiff.Training.Tests;

using DistillDiff.Training.Evaluation;
using DistillDiff.Training.Loop;

/// <summary>Runs written before the trainer layout still resume: their trainer.json and step_curve.json are read.</summary>
public class LegacyRunTests
{
    [Fact]
    public void OldTrainerStateNamesTheDataOrderSampler()
    {
        var dir = TestRecipes.TempDir("legacy");
        File.WriteAllText(Path.Combine(dir, TrainerState.FileName), """
            { "phase": "distill-1", "step": 600, "global_step": 6600, "sampler": { "epoch": 33, "position": 42240 },
              "metrics_lines": 66, "noise_generator": "", "default_generator": "", "completed_phases": ["teacher"], "has_ema": false }
            """);
        var state = TrainerState.Load(dir);
        Assert.Equal((33L, 42240L), (state.DataOrder!.Epoch, state.DataOrder.Position));
        state.Save(dir);
        var text = File.ReadAllText(Path.Combine(dir, TrainerState.FileName));
        Assert.Contains("\"data_order\"", text);
        Assert.DoesNotContain("\"sampler\"", text);
    }

    [Fact]
    public void OldStepCurveDdimPointsAreThePdSampler()
    {
        var path = Path.Combine(TestRecipes.TempDir("legacy"), "step_curve.json");
        File.WriteAllText(path, """[{ "model": "teacher", "sampler": "ddim", "steps": 1, "metrics": { "swd": 1.5 } }]""");
        var p = Assert.Single(new StepCurve(path).Points);
        Assert.Equal(("teacher", "pd", 1), (p.Model, p.Sampler, p.Steps));
    }
}
