namespace DistillDiff.Engine;

using System.Runtime.InteropServices;
using DistillDiff.Engine.Native;

/// <summary>An error raised inside libtorch (shape mismatch, bad dtype, out of memory, ...), with its message.</summary>
public class TorchException : Exception
{
    public TorchException(string message) : base(message) { }

    /// <summary>Reads and clears the native layer's thread-local error and turns it into an exception.</summary>
    internal static TorchException FromNative(string operation)
    {
        var ptr = NativeMethods.dd_last_error();
        var msg = ptr == IntPtr.Zero ? "failed without a message" : Marshal.PtrToStringUTF8(ptr) ?? "";
        NativeMethods.dd_clear_error();
        var text = $"{operation}: {msg}";
        return IsOutOfMemory(msg) ? new TorchOutOfMemoryException(text) : new TorchException(text);
    }

    private static bool IsOutOfMemory(string msg) =>
        msg.Contains("out of memory", StringComparison.OrdinalIgnoreCase) ||
        msg.Contains("DefaultCPUAllocator: can't allocate", StringComparison.Ordinal) ||
        msg.Contains("bad_alloc", StringComparison.Ordinal);
}
