namespace DistillDiff.Training.Runs;

/// <summary>
/// The folder of one run (checkpoints/&lt;run-name&gt;/ by default) and the fixed places inside it, so tools, tests and
/// users find every artefact by the same name:
/// <code>
/// config.yaml      the fully resolved recipe          train.log / log.jsonl   human and structured logs
/// metrics.jsonl    one JSON object per logged step    tensorboard/            TensorBoard event files
/// plots/           loss and step-count curves (SVG)   samples/                sample grids (PNG)
/// state/           resumable training state           models/                 loadable checkpoints (diffusers layout)
/// </code>
/// </summary>
public sealed class RunDirectory
{
    public RunDirectory(string path)
    {
        Root = Path.GetFullPath(path);
        foreach (var d in new[] { Root, TensorBoard, Plots, Samples, State, Models }) Directory.CreateDirectory(d);
    }

    public string Root { get; }
    public string Config => Path.Combine(Root, "config.yaml");
    public string Log => Path.Combine(Root, "train.log");
    public string JsonLog => Path.Combine(Root, "log.jsonl");
    public string Metrics => Path.Combine(Root, "metrics.jsonl");
    public string Curves => Path.Combine(Root, "step_curve.json");
    public string TensorBoard => Path.Combine(Root, "tensorboard");
    public string Plots => Path.Combine(Root, "plots");
    public string Samples => Path.Combine(Root, "samples");
    public string State => Path.Combine(Root, "state");
    public string Models => Path.Combine(Root, "models");

    /// <summary>A loadable model folder, e.g. models/teacher or models/student-4steps.</summary>
    public string Model(string name) => Path.Combine(Models, name);

    /// <summary>Whether the folder holds a run that can be resumed.</summary>
    public static bool IsRun(string path) => File.Exists(Path.Combine(path, "config.yaml"));
}
