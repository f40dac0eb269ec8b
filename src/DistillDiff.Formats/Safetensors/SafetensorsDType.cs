namespace DistillDiff.Formats.Safetensors;

/// <summary>Element types of the safetensors format; the member names are the header's dtype strings.</summary>
public enum SafetensorsDType
{
    BOOL,
    U8,
    I8,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    F64,
    I64,
    U64,
    F8_E5M2,
    F8_E4M3,
}
