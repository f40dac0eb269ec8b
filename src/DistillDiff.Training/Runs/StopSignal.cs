namespace DistillDiff.Training.Runs;

using System.Runtime.InteropServices;

/// <summary>
/// SIGINT (Ctrl-C) and SIGTERM turned into a request the training loop polls once per step: the loop finishes
/// the step, writes a checkpoint and ends with <see cref="RunStoppedException"/>. A second signal exits at once
/// (the last checkpoint on disk stays whole: checkpoints are renamed into place).
/// </summary>
public sealed class StopSignal : IDisposable
{
    private readonly PosixSignalRegistration[] _registrations;
    private int _signal;

    private StopSignal(bool listen)
    {
        _registrations = listen
            ? [PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle)]
            : [];
    }

    /// <summary>Starts catching SIGINT and SIGTERM until disposed.</summary>
    public static StopSignal Listen() => new(listen: true);

    /// <summary>A request that never comes, for code run without signals.</summary>
    public static StopSignal None() => new(listen: false);

    /// <summary>Whether a stop was asked for.</summary>
    public bool Requested => Volatile.Read(ref _signal) != 0;

    /// <summary>SIGINT or SIGTERM, for messages.</summary>
    public string Name => Volatile.Read(ref _signal) == 2 ? "SIGINT" : "SIGTERM";

    /// <summary>128 + signal number, the code a shell shows for a process ended by the signal.</summary>
    public int ExitCode => 128 + Volatile.Read(ref _signal);

    /// <summary>Asks for a stop as a signal would (tests, embedding code).</summary>
    public void Request(int signalNumber = 15) => Interlocked.CompareExchange(ref _signal, signalNumber, 0);

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true; // no default termination: the loop stops at the end of its step
        var number = context.Signal == PosixSignal.SIGINT ? 2 : 15;
        if (Interlocked.CompareExchange(ref _signal, number, 0) != 0)
        {
            Console.Error.WriteLine($"{context.Signal} again: exiting now without a checkpoint; `distilldiff resume` continues from the last one");
            Console.Error.Flush();
            // _exit, not Environment.Exit: exit handlers would tear libtorch down under the training thread, which
            // then fails mid-op with a misleading error. Checkpoints are renamed into place, so none is half-written.
            if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) ImmediateExit(128 + number);
            Environment.Exit(128 + number);
        }
        Console.Error.WriteLine($"{context.Signal}: finishing the current step and writing a checkpoint (signal again to exit at once)");
    }

    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void ImmediateExit(int status);

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
    }
}
