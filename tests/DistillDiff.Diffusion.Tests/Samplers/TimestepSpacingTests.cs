namespace DistillDiff.Diffusion.Tests.Samplers;

using DistillDiff.Diffusion.Samplers;
using DistillDiff.Diffusion.Schedules;

public class TimestepSpacingTests
{
    [Fact]
    public void TrailingFourOfAThousandIsTheAddStudentsGrid()
    {
        // round(1000 - i * 250) - 1
        Assert.Equal(new long[] { 999, 749, 499, 249 }, TimestepSpacing.Compute("trailing", 1000, 4));
        Assert.Equal(new long[] { 999 }, TimestepSpacing.Compute("trailing", 1000, 1));
    }

    [Fact]
    public void LeadingAndLinspaceAreDiffusers()
    {
        // leading: arange(4) * (1000 // 4) = 0, 250, 500, 750, reversed, + steps_offset 1.
        Assert.Equal(new long[] { 751, 501, 251, 1 }, TimestepSpacing.Compute("leading", 1000, 4, stepsOffset: 1));
        // linspace(0, 999, 4) = 0, 333, 666, 999, rounded, reversed.
        Assert.Equal(new long[] { 999, 666, 333, 0 }, TimestepSpacing.Compute("linspace", 1000, 4));
        // linspace(0, 999, 7): 0, 166.5, 333, 499.5, 666, 832.5, 999 -> round half to even like numpy.
        Assert.Equal(new long[] { 999, 832, 666, 500, 333, 166, 0 }, TimestepSpacing.Compute("linspace", 1000, 7));
        Assert.Equal(Enumerable.Range(0, 1000).Reverse().Select(i => (long)i), TimestepSpacing.Compute("leading", 1000, 1000));
    }

    [Fact]
    public void SchedulersUseTheConfiguredSpacing()
    {
        var config = new SchedulerConfig { TimestepSpacing = "trailing" };
        foreach (var name in new[] { "ddpm", "ddim", "euler", "dpmpp_2m", "few_step" })
        {
            var s = SamplerRegistry.Create(name, config);
            s.SetTimesteps(4);
            Assert.Equal(new long[] { 999, 749, 499, 249 }, s.Timesteps);
        }
        // Heun lists every timestep after the first twice: one model call per entry.
        var heun = SamplerRegistry.Create("heun", config);
        heun.SetTimesteps(4);
        Assert.Equal(new long[] { 999, 749, 749, 499, 499, 249, 249 }, heun.Timesteps);
        // DPM-Solver++ takes n + 1 linspace points and drops the 0 (diffusers).
        var dpm = SamplerRegistry.Create("dpmpp_2m", config with { TimestepSpacing = "linspace" });
        dpm.SetTimesteps(4);
        Assert.Equal(new long[] { 999, 749, 500, 250 }, dpm.Timesteps); // round(linspace(0, 999, 5)) = 0, 249.75, 499.5, 749.25, 999
    }

    [Fact]
    public void KarrasSigmasSnapToDecreasingTrainingIndices()
    {
        var euler = (EulerDiscreteScheduler)SamplerRegistry.Create("euler", new SchedulerConfig { UseKarrasSigmas = true });
        euler.SetTimesteps(50);
        var ts = euler.Timesteps;
        Assert.Equal(50, ts.Count);
        Assert.Equal(999, ts[0]);
        Assert.Equal(0, ts[^1]);
        for (var i = 1; i < ts.Count; i++) Assert.True(ts[i] < ts[i - 1], $"not decreasing at {i}");
        // sigma_i = (sigma_max^(1/7) + i / 49 (sigma_min^(1/7) - sigma_max^(1/7)))^7 (Karras eq. 5), matched to the
        // training index of nearest log-sigma of the linear schedule (to within one index: interpolation vs nearest).
        var sigmas = new LinearSchedule().AlphasCumprod.Select(a => Math.Sqrt((1 - a) / a)).ToArray();
        var (lo, hi) = (Math.Pow(sigmas[0], 1 / 7.0), Math.Pow(sigmas[^1], 1 / 7.0));
        foreach (var i in new[] { 1, 10, 25, 40 })
        {
            var target = Math.Log(Math.Pow(hi + i / 49.0 * (lo - hi), 7));
            var nearest = Enumerable.Range(0, 1000).MinBy(n => Math.Abs(Math.Log(sigmas[n]) - target));
            Assert.InRange(ts[i], nearest - 1, nearest + 1);
        }
    }

    [Fact]
    public void BadSettingsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => TimestepSpacing.Compute("uniform", 1000, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => TimestepSpacing.Compute("trailing", 1000, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TimestepSpacing.Compute("trailing", 1000, 1001));
        Assert.Throws<ArgumentException>(() => TimestepSpacing.Compute("leading", 1000, 1000, stepsOffset: 1));
    }
}
