namespace DistillDiff.Engine.Amp;

/// <summary>How a training loop runs its forward pass (recipe key run.precision).</summary>
public enum Precision
{
    /// <summary>Everything in float32.</summary>
    Fp32,
    /// <summary>bfloat16 autocast (CPU with libtorch 2.x, and CUDA); float32 weights and optimizer state, no loss scaling.</summary>
    Bf16,
    /// <summary>float16 autocast with dynamic loss scaling (CUDA); float32 weights and optimizer state.</summary>
    Fp16,
}
