namespace DistillDiff.Training.Distributed;

using System.Globalization;

/// <summary>
/// Where this process sits in a data-parallel job, from the environment variables the launchers set: torchrun and
/// `distilldiff train --nproc N` (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), SLURM's srun
/// (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID) and Open MPI's mpirun (OMPI_COMM_WORLD_RANK, _SIZE, _LOCAL_RANK);
/// the torchrun names win where both are set. Under SLURM or mpirun, MASTER_ADDR must still name the first node.
/// DISTILLDIFF_DIST_BACKEND (gloo | nccl) overrides the backend chosen by device; DISTILLDIFF_DIST_TIMEOUT
/// (seconds, default 1800 as torch.distributed) bounds the rendezvous and every collective.
/// </summary>
public sealed record LaunchEnvironment(int Rank, int WorldSize, int LocalRank, string MasterAddr, int MasterPort, string? Backend, TimeSpan Timeout)
{
    /// <summary>False under torchrun, whose agent already serves the store at MASTER_ADDR:MASTER_PORT (TORCHELASTIC_USE_AGENT_STORE).</summary>
    public bool RankZeroHostsStore { get; init; } = true;

    public const int DefaultPort = 29500;
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(30);

    /// <summary>The job this process belongs to, or null for a plain single-process run (no world size, or 1).</summary>
    public static LaunchEnvironment? Read(Func<string, string?>? getVariable = null)
    {
        var env = getVariable ?? Environment.GetEnvironmentVariable;
        string? First(params string[] names) => names.Select(n => env(n)).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
        var worldText = First("WORLD_SIZE", "SLURM_NTASKS", "OMPI_COMM_WORLD_SIZE");
        if (worldText is null) return null;
        var world = Int("WORLD_SIZE", worldText, 1);
        if (world == 1) return null;
        var rank = Int("RANK", First("RANK", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK") ??
            throw new InvalidOperationException($"WORLD_SIZE is {world} but RANK (or SLURM_PROCID / OMPI_COMM_WORLD_RANK) is not set"), 0);
        if (rank >= world) throw new InvalidOperationException($"RANK {rank} is not below WORLD_SIZE {world}");
        var local = Int("LOCAL_RANK", First("LOCAL_RANK", "SLURM_LOCALID", "OMPI_COMM_WORLD_LOCAL_RANK") ?? "0", 0);
        var addr = First("MASTER_ADDR") ?? (world > 1 && First("SLURM_NTASKS", "OMPI_COMM_WORLD_SIZE") is null ? "127.0.0.1"
            : throw new InvalidOperationException(
                "MASTER_ADDR is not set: export it to the first node's address, e.g. MASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n1)"));
        var port = Int("MASTER_PORT", First("MASTER_PORT") ?? DefaultPort.ToString(CultureInfo.InvariantCulture), 1);
        if (port > 65535) throw new InvalidOperationException($"MASTER_PORT {port} is not a TCP port (1-65535)");
        var backend = First("DISTILLDIFF_DIST_BACKEND");
        if (backend is not null and not "gloo" and not "nccl")
            throw new InvalidOperationException($"DISTILLDIFF_DIST_BACKEND must be gloo or nccl, got '{backend}'");
        var timeoutText = First("DISTILLDIFF_DIST_TIMEOUT");
        var timeout = DefaultTimeout;
        if (timeoutText is not null)
        {
            if (!double.TryParse(timeoutText, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) || !(s > 0))
                throw new InvalidOperationException($"DISTILLDIFF_DIST_TIMEOUT must be a positive number of seconds, got '{timeoutText}'");
            timeout = TimeSpan.FromSeconds(s);
        }
        return new LaunchEnvironment(rank, world, local, addr, port, backend, timeout)
        {
            RankZeroHostsStore = !string.Equals(env("TORCHELASTIC_USE_AGENT_STORE"), "true", StringComparison.OrdinalIgnoreCase),
        };
    }

    private static int Int(string name, string text, int min)
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < min)
            throw new InvalidOperationException($"{name} must be an integer of at least {min}, got '{text}'");
        return v;
    }
}
