namespace DistillDiff.Training.Methods;

using DistillDiff.Training.Config;

/// <summary>One distillation method under its recipe name (distill.method), with its config record and what it does with it.</summary>
/// <param name="Name">distill.method value, e.g. "progressive".</param>
/// <param name="Summary">One line for `distilldiff list`.</param>
/// <param name="ConfigType">The record the `distill:` section binds to.</param>
/// <param name="Validate">Cross-section checks; calls fail(key, message) for the first problem.</param>
/// <param name="Plan">The phases the method trains, in order.</param>
/// <param name="TeacherSteps">The teacher's step counts worth measuring, from eval.steps.</param>
public sealed record MethodRegistration(
    string Name,
    string Summary,
    Type ConfigType,
    Action<JobConfig, object, Action<string, string>> Validate,
    Func<MethodContext, object, IReadOnlyList<PlannedPhase>> Plan,
    Func<object, int[], int[]> TeacherSteps)
{
    public static MethodRegistration For<TConfig>(string name, string summary, Action<JobConfig, TConfig, Action<string, string>> validate,
        Func<MethodContext, TConfig, IReadOnlyList<PlannedPhase>> plan, Func<TConfig, int[], int[]> teacherSteps) where TConfig : class =>
        new(name, summary, typeof(TConfig), (j, c, f) => validate(j, (TConfig)c, f), (m, c) => plan(m, (TConfig)c), (c, s) => teacherSteps((TConfig)c, s));
}
