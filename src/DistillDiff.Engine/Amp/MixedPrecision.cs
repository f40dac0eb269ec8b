namespace DistillDiff.Engine.Amp;

using DistillDiff.Engine.Nn;

/// <summary>
/// What a training loop does differently for a precision and a memory layout, in the order it calls it:
/// <see cref="Prepare"/> the model once (channels_last), <see cref="Input"/> per batch, the forward pass inside
/// <see cref="Autocast"/>, <see cref="Backward"/> (scaled for fp16), then <see cref="Unscale"/> before clipping,
/// stepping only when it returns true. Weights, gradients and optimizer state stay float32 throughout (autocast
/// casts copies of the weights for the ops on its list), so checkpoints are the same in every precision.
/// </summary>
public sealed class MixedPrecision
{
    public MixedPrecision(Precision precision, Device device, bool channelsLast = false, GradScaler? scaler = null)
    {
        Precision = precision;
        Device = device;
        ChannelsLast = channelsLast;
        if (AutocastDType is DType dtype)
        {
            AutocastScope.CheckSupported(dtype, device.Type);
            // 1.13's CPU group_norm / layer_norm reject a bf16 input with float32 weights (2.x computes them in
            // mixed precision), so a UNet cannot train under its CPU autocast. Checked and verified on 2.6.
            if (device.Type == DeviceType.CPU && Torch.LibTorchVersion < MinCpuVersion)
                throw new ArgumentException($"{precision.ToString().ToLowerInvariant()} training on the CPU needs libtorch {MinCpuVersion} or " +
                    $"later (this is {Torch.LibTorchVersion}, whose CPU norm layers reject bf16 inputs); use fp32 here, or tools/libtorch26.sh");
        }
        Scaler = precision == Precision.Fp16 ? scaler ?? new GradScaler() : null;
    }

    /// <summary>The oldest libtorch whose CPU autocast trains this project's models (the device-generic API's).</summary>
    public static readonly Version MinCpuVersion = new(2, 4);

    public Precision Precision { get; }
    public Device Device { get; }
    public bool ChannelsLast { get; }

    /// <summary>The loss scaler (fp16 only: bf16 has float32's exponent range and needs none).</summary>
    public GradScaler? Scaler { get; }

    public DType? AutocastDType => Precision switch
    {
        Precision.Bf16 => DType.BFloat16,
        Precision.Fp16 => DType.Float16,
        _ => null,
    };

    /// <summary>The scope for the forward pass and loss, or null (nothing to dispose) in fp32.</summary>
    public AutocastScope? Autocast() => AutocastDType is DType d ? Torch.Autocast(d, Device.Type) : null;

    /// <summary>Converts the model once, before its optimizer is made (the optimizer state then takes its layout).</summary>
    public T Prepare<T>(T model) where T : Module
    {
        if (ChannelsLast) model.ToChannelsLast();
        return model;
    }

    /// <summary>An image batch in the layout the model was prepared for (other tensors pass through).</summary>
    public Tensor Input(Tensor x) => ChannelsLast && x.Dim == 4 ? x.ChannelsLast() : x;

    public void Backward(Tensor loss)
    {
        if (Scaler is null)
        {
            loss.Backward();
            return;
        }
        using var scaled = Scaler.ScaleLoss(loss);
        scaled.Backward();
    }

    /// <summary>Unscales the gradients (fp16); false when they overflowed and the optimizer step must be skipped.</summary>
    public bool Unscale(IReadOnlyList<Tensor> parameters) => Scaler?.Unscale(parameters) ?? true;
}
