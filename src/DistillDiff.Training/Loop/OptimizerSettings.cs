namespace DistillDiff.Training.Loop;

using DistillDiff.Engine.Optim;

/// <summary>How the shared loop trains one named module: AdamW settings, its own LR schedule, clipping and EMA.</summary>
public sealed record OptimizerSettings(
    double Lr,                 // peak learning rate
    LrSchedule Schedule,       // factor on Lr at each of this optimizer's own steps
    double Beta1 = 0.9,        // Adam's first-moment decay
    double Beta2 = 0.999,      // Adam's second-moment decay
    double WeightDecay = 0,    // AdamW decoupled weight decay
    double GradClip = 0,       // global-norm clip of this module's gradients, 0 = off
    double EmaDecay = 0);      // EMA of this module's weights, 0 = none
