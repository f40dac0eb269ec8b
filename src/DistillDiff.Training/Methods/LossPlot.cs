namespace DistillDiff.Training.Methods;

/// <summary>Where a phase's losses are drawn: phases with the same <see cref="File"/> share a plot, one series per phase and loss.</summary>
public sealed record LossPlot(
    string File,        // SVG under plots/, e.g. "loss_distill.svg"
    string Title,
    string Label,       // this phase's series name, e.g. "4-step student"
    bool LogY = true);  // off for losses that can be negative (a discriminator's scores)
