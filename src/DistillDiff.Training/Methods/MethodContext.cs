namespace DistillDiff.Training.Methods;

using DistillDiff.Data.Datasets;
using DistillDiff.Diffusion.Parameterisation;
using DistillDiff.Diffusion.Schedules;
using DistillDiff.Engine;
using DistillDiff.Training.Config;
using Serilog;

/// <summary>What a method plans and builds its phases from: the recipe, the device, the schedule and parameterisation,
/// the data, the teacher's model folder and where a phase's model folder goes.</summary>
public sealed record MethodContext(
    JobConfig Job,
    Device Device,
    NoiseSchedule Schedule,
    Prediction Prediction,
    IDataset Data,
    bool Conditional,
    string TeacherDir,
    Func<string, string> ModelDir,
    ILogger Log);
