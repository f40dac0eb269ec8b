namespace DistillDiff.Diffusion.Tests.Samplers;

using DistillDiff.Diffusion.Samplers;

public class TimestepSpacingTests
{
    [Fact]
    public void TrailingFourOfAThousandIsTheAddStudentsGrid()
    {
        // round(1000 - i * 250) - 1
        Assert.Equal(new double[] { 999, 749, 499, 249 }, TimestepSpacing.Compute("trailing", 1000, 4));
        Assert.Equal(new double[] { 999 }, TimestepSpacing.Compute("trailing", 1000, 1));
    }

    [Fact]
    public void LeadingAndLinspaceAreDiffusers()
    {
        // leading: arange(4) * (1000 // 4) = 0, 250, 500, 750, reversed, + steps_offset 1.
        Assert.Equal(new double[] { 751, 501, 251, 1 }, TimestepSpacing.Compute("leading", 1000, 4, stepsOffset: 1));
        // linspace(0, 999, 4) = 0, 333, 666, 999, rounded, reversed.
        Assert.Equal(new double[] { 999, 666, 333, 0 }, TimestepSpacing.Compute("linspace", 1000, 4));
        // linspace(0, 999, 7): 0, 166.5, 333, 499.5, 666, 832.5, 999 -> round half to even like numpy.
        Assert.Equal(new double[] { 999, 832, 666, 500, 333, 166, 0 }, TimestepSpacing.Compute("linspace", 1000, 7));
        Assert.Equal(Enumerable.Range(0, 1000).Reverse().Select(i => (double)i), TimestepSpacing.Compute("leading", 1000, 1000));
    }

    [Fact]
    public void SchedulersUseTheConfiguredSpacing()
    {
        var config = new SchedulerConfig { TimestepSpacing = "trailing" };
        foreach (var name in new[] { "ddpm", "ddim", "euler", "dpmpp_2m", "few_step" })
        {
            var s = SamplerRegistry.Create(name, config);
            s.SetTimesteps(4);
            Assert.Equal(new double[] { 999, 749, 499, 249 }, s.Timesteps);
        }
        // Heun lists every timestep after the first twice: one model call per entry.
        var heun = SamplerRegistry.Create("heun", config);
        heun.SetTimesteps(4);
        Assert.Equal(new double[] { 999, 749, 749, 499, 499, 249, 249 }, heun.Timesteps);
        // DPM-Solver++ takes n + 1 linspace points and drops the 0 (diffusers).
        var dpm = SamplerRegistry.Create("dpmpp_2m", config with { TimestepSpacing = "linspace" });
        dpm.SetTimesteps(4);
        Assert.Equal(new double[] { 999, 749, 500, 250 }, dpm.Timesteps); // round(linspace(0, 999, 5)) = 0, 249.75, 499.5, 749.25, 999
    }

    [Fact]
    public void TrailingStepCountsWhereNumpyMakesAnExtraTimestepAreRefused()
    {
        // np.arange(1000, 0, -1000 / 61) has 62 entries, the last rounding to 0 - 1 = -1 (diffusers would index alpha-bar[-1]).
        var ex = Assert.Throws<ArgumentException>(() => TimestepSpacing.Compute("trailing", 1000, 61));
        Assert.Contains("makes 62 timesteps", ex.Message);
        Assert.Equal(60, TimestepSpacing.Compute("trailing", 1000, 60).Length);
        // 3 of 1000: round(1000, 666.67, 333.33) - 1; DDIM then steps t - 333 (diffusers), landing off the list.
        Assert.Equal(new double[] { 999, 666, 332 }, TimestepSpacing.Compute("trailing", 1000, 3));
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
