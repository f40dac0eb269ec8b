namespace DistillDiff.Engine;

/// <summary>A device such as <c>cpu</c>, <c>cuda</c> or <c>cuda:1</c>; Index -1 means "the current one".</summary>
public readonly record struct Device(DeviceType Type, int Index = -1)
{
    public static readonly Device CPU = new(DeviceType.CPU);

    public static Device CUDA(int index = -1) => new(DeviceType.CUDA, index);

    public bool IsCuda => Type == DeviceType.CUDA;

    /// <summary>Parses "cpu", "cuda", "cuda:N", and "auto" (CUDA when libtorch sees a GPU, otherwise CPU).</summary>
    public static Device Parse(string text)
    {
        var s = text.Trim().ToLowerInvariant();
        if (s == "cpu") return CPU;
        if (s == "auto") return Torch.Cuda.IsAvailable ? CUDA(0) : CPU;
        if (s == "cuda") return CUDA(0);
        if (s.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(s.AsSpan(5), out var i) && i >= 0) return CUDA(i);
        throw new ArgumentException($"unknown device '{text}' (expected cpu, cuda, cuda:N or auto)");
    }

    public override string ToString() =>
        Type == DeviceType.CPU ? "cpu" : Index < 0 ? "cuda" : $"cuda:{Index}";
}
