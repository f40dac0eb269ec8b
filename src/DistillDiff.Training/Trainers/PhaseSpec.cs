namespace DistillDiff.Training.Trainers;

using DistillDiff.Engine.Optim;

/// <summary>One optimisation phase: the teacher's training, or one progressive-distillation round.</summary>
public sealed record PhaseSpec(
    string Name,              // "teacher" or "distill-<N>"
    long GlobalOffset,        // global step of this phase's step 0
    int Steps,                // optimizer updates
    int BatchSize,
    double Lr,                // peak learning rate
    LrSchedule Schedule,      // factor on Lr per step
    double WeightDecay,       // AdamW decoupled weight decay
    double GradClip,          // global-norm clip, 0 = off
    double EmaDecay);         // 0 = no EMA
