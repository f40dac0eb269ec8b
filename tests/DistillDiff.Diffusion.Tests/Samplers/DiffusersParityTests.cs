namespace DistillDiff.Diffusion.Tests.Samplers;

using System.Text.Json;
using System.Text.Json.Nodes;
using DistillDiff.Diffusion.Samplers;
using DistillDiff.Engine;

/// <summary>
/// Timesteps, sigmas, init_noise_sigma and whole trajectories of the diffusers-named schedulers against fixed values from
/// tools/diffusers_reference.py, an independent numpy re-statement of diffusers' five scheduler classes (run once with
/// Debian's python3-numpy: <c>/usr/bin/python3 tools/diffusers_reference.py &gt; diffusers_reference.json</c>; the output is
/// committed next to this file). Each case is read the way diffusers reads it: a scheduler_config.json holding only
/// _class_name and the case's keys, so the class's own defaults fill the rest. The trajectory runs diffusers' loop with
/// the stand-in network out = 0.5 z + 0.0005 t - 0.1 from x = [1, -0.5, 0.25, 2] * init_noise_sigma.
/// </summary>
public class DiffusersParityTests
{
    private static readonly JsonNode Reference =
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samplers", "diffusers_reference.json")))!;

    public static TheoryData<int> CaseIndices()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Reference["cases"]!.AsArray().Count; i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void MatchesTheReference(int index)
    {
        var c = Reference["cases"]![index]!;
        var className = (string)c["class_name"]!;
        var config = c["config"]!.AsObject();
        var what = $"{className} {config.ToJsonString()} n={(int)c["steps"]!}";
        var json = new JsonObject { ["_class_name"] = className };
        foreach (var (k, v) in config) json[k] = v?.DeepClone();
        // Python writes float('-inf') as -Infinity; so does the file this reads.
        var text = json.ToJsonString().Replace("\"-Infinity\"", "-Infinity");
        var scheduler = SamplerRegistry.Create(className, SchedulerConfigJson.Parse(text).Config);
        var steps = (int)c["steps"]!;
        scheduler.SetTimesteps(steps);

        var expectedT = c["timesteps"]!.AsArray().Select(v => (double)v!).ToArray();
        Support.Close.AllEqual(expectedT, scheduler.Timesteps.ToArray(), 1e-9, 1e-9, $"{what} timesteps");
        var sigmas = scheduler switch
        {
            SigmaSchedulerBase s => s.StepSigmas,
            DpmSolverMultistepScheduler d => d.StepSigmas,
            _ => null,
        };
        if (sigmas is not null)
            Support.Close.AllEqual(c["sigmas"]!.AsArray().Select(v => (double)v!).ToArray(), sigmas.ToArray(), 1e-9, 1e-12, $"{what} sigmas");
        Support.Close.Equal((double)c["init_noise_sigma"]!, scheduler.InitNoiseSigma, 1e-9, 0, $"{what} init_noise_sigma");

        using var scope = Torch.NewDisposeScope();
        var x = Torch.FromArray(new[] { 1.0, -0.5, 0.25, 2.0 }, 4) * scheduler.InitNoiseSigma;
        foreach (var t in scheduler.Timesteps)
        {
            var z = scheduler.ScaleModelInput(x, t);
            x = scheduler.Step(z * 0.5 + (0.0005 * t - 0.1), t, x);
        }
        var expected = c["final"]!.AsArray().Select(v => (double)v!).ToArray();
        var scale = expected.Max(Math.Abs);
        Support.Close.AllEqual(expected, x.ToArray<double>(), 0, 1e-9 * scale, $"{what} trajectory");
    }

    [Fact]
    public void SquaredcosSigmaMaxIsNotFloored()
    {
        // diffusers floors alpha-bar at 2^-24 only with rescale_betas_zero_snr: squaredcos_cap_v2 keeps sigma_max ~ 20291.
        var euler = (EulerDiscreteScheduler)SamplerRegistry.Create("euler", SchedulerConfig.ForClass("EulerDiscreteScheduler") with { BetaSchedule = "squaredcos_cap_v2" });
        euler.SetTimesteps(4);
        Assert.InRange(euler.StepSigmas[0], 20291.0, 20291.3);
        var zsnr = (EulerDiscreteScheduler)SamplerRegistry.Create("euler", SchedulerConfig.ForClass("EulerDiscreteScheduler") with { RescaleBetasZeroSnr = true, PredictionType = "v_prediction" });
        zsnr.SetTimesteps(4);
        Assert.Equal(Math.Sqrt((1 - Math.Pow(2, -24)) / Math.Pow(2, -24)), zsnr.StepSigmas[0], 9);
    }
}
