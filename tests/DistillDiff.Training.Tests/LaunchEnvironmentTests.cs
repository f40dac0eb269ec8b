namespace DistillDiff.Training.Tests;

using DistillDiff.Training.Distributed;

/// <summary>The launch environment as torchrun, SLURM's srun and mpirun set it, and the messages for bad values.</summary>
public class LaunchEnvironmentTests
{
    private static LaunchEnvironment? Read(params (string Name, string Value)[] vars)
    {
        var d = vars.ToDictionary(v => v.Name, v => v.Value);
        return LaunchEnvironment.Read(n => d.GetValueOrDefault(n));
    }

    [Fact]
    public void NoWorldSizeOrAWorldOfOneIsASingleProcessRun()
    {
        Assert.Null(Read());
        Assert.Null(Read(("WORLD_SIZE", "1"), ("RANK", "0")));
        Assert.Null(Read(("SLURM_NTASKS", "1"), ("SLURM_PROCID", "0")));
    }

    [Fact]
    public void TorchrunVariables()
    {
        var e = Read(("WORLD_SIZE", "4"), ("RANK", "3"), ("LOCAL_RANK", "1"), ("MASTER_ADDR", "node7"), ("MASTER_PORT", "1234"),
            ("TORCHELASTIC_USE_AGENT_STORE", "True"), ("DISTILLDIFF_DIST_TIMEOUT", "90"), ("DISTILLDIFF_DIST_BACKEND", "gloo"))!;
        Assert.Equal((3, 4, 1, "node7", 1234, "gloo", TimeSpan.FromSeconds(90)), (e.Rank, e.WorldSize, e.LocalRank, e.MasterAddr, e.MasterPort, e.Backend, e.Timeout));
        Assert.False(e.RankZeroHostsStore);   // torchrun's agent serves the store
        var plain = Read(("WORLD_SIZE", "2"), ("RANK", "0"))!;
        Assert.Equal(("127.0.0.1", LaunchEnvironment.DefaultPort, LaunchEnvironment.DefaultTimeout, true, (string?)null),
            (plain.MasterAddr, plain.MasterPort, plain.Timeout, plain.RankZeroHostsStore, plain.Backend));
    }

    [Fact]
    public void SlurmAndOpenMpiVariables()
    {
        var slurm = Read(("SLURM_NTASKS", "16"), ("SLURM_PROCID", "9"), ("SLURM_LOCALID", "1"), ("MASTER_ADDR", "gpu001"))!;
        Assert.Equal((9, 16, 1, "gpu001"), (slurm.Rank, slurm.WorldSize, slurm.LocalRank, slurm.MasterAddr));
        var mpi = Read(("OMPI_COMM_WORLD_SIZE", "2"), ("OMPI_COMM_WORLD_RANK", "1"), ("OMPI_COMM_WORLD_LOCAL_RANK", "1"), ("MASTER_ADDR", "h"))!;
        Assert.Equal((1, 2, 1), (mpi.Rank, mpi.WorldSize, mpi.LocalRank));
        Assert.Contains("MASTER_ADDR is not set",
            Assert.Throws<InvalidOperationException>(() => Read(("SLURM_NTASKS", "2"), ("SLURM_PROCID", "0"))).Message);
    }

    [Theory]
    [InlineData("WORLD_SIZE", "two", "WORLD_SIZE must be an integer of at least 1, got 'two'")]
    [InlineData("RANK", "5", "RANK 5 is not below WORLD_SIZE 2")]
    [InlineData("MASTER_PORT", "70000", "MASTER_PORT 70000 is not a TCP port")]
    [InlineData("DISTILLDIFF_DIST_TIMEOUT", "-1", "DISTILLDIFF_DIST_TIMEOUT must be a positive number of seconds, got '-1'")]
    [InlineData("DISTILLDIFF_DIST_BACKEND", "mpi", "DISTILLDIFF_DIST_BACKEND must be gloo or nccl, got 'mpi'")]
    public void BadValuesAreNamed(string name, string value, string message)
    {
        var vars = new Dictionary<string, string> { ["WORLD_SIZE"] = "2", ["RANK"] = "0", [name] = value };
        var e = Assert.Throws<InvalidOperationException>(() => LaunchEnvironment.Read(n => vars.GetValueOrDefault(n)));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void AWorldWithoutARankIsRefused() =>
        Assert.Contains("RANK (or SLURM_PROCID / OMPI_COMM_WORLD_RANK) is not set",
            Assert.Throws<InvalidOperationException>(() => Read(("WORLD_SIZE", "2"))).Message);
}
