namespace DistillDiff.Engine;

/// <summary>c10::DeviceType values for the devices DistillDiff runs on.</summary>
public enum DeviceType
{
    CPU = 0,
    CUDA = 1,
}
