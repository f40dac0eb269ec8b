namespace DistillDiff.Training.Loop;

using DistillDiff.Engine.Nn;

/// <summary>A module a method trains, under the name its checkpoint files, metrics and optimizer carry.</summary>
public sealed record TrainedModule(string Name, Module Module, OptimizerSettings Optimizer);
