namespace DistillDiff.Recipes.Tests;

public sealed class KeyNamesTests
{
    [Theory]
    [InlineData("NumTrainTimesteps", "num_train_timesteps")]
    [InlineData("Lr", "lr")]
    [InlineData("EMADecay", "ema_decay")]
    [InlineData("Beta1", "beta1")]
    [InlineData("Layer2Norm", "layer2_norm")]
    [InlineData("X0", "x0")]
    [InlineData("batchSize", "batch_size")]
    public void Member_names_are_shown_in_snake_case(string member, string key) =>
        Assert.Equal(key, KeyNames.ToSnake(member));

    [Theory]
    [InlineData("lrr", "lr")]
    [InlineData("num_step", "num_steps")]
    [InlineData("bach-size", "batch_size")]
    [InlineData("stpes", "steps")]
    [InlineData("learning_rate", null)]
    [InlineData("xx", null)]
    public void Typos_are_matched_to_the_closest_name(string typed, string? suggestion) =>
        Assert.Equal(suggestion, KeyNames.Closest(typed, ["batch_size", "lr", "num_steps", "steps"]));
}
