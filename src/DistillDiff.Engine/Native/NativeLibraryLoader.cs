namespace DistillDiff.Engine.Native;

using System.Reflection;
using System.Runtime.InteropServices;

/// <summary>
/// Finds libdistilldiff_native.so: $DISTILLDIFF_NATIVE (a file or folder), next to the assemblies, or the CMake
/// build folder of the source tree (build/native), so tests and tools run straight from a checkout.
/// </summary>
internal static class NativeLibraryLoader
{
    private const string FileName = "libdistilldiff_native.so";
    private static int _installed;

    internal static void Install()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 1) return;
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != NativeMethods.Lib) return IntPtr.Zero;
        var tried = new List<string>();
        foreach (var candidate in Candidates())
        {
            tried.Add(candidate);
            if (File.Exists(candidate)) return NativeLibrary.Load(candidate);
        }
        throw new DllNotFoundException(
            $"{FileName} not found. Build it with `bash tools/setup.sh` (or cmake -S native -B build/native && " +
            $"cmake --build build/native), or point DISTILLDIFF_NATIVE at it. Looked in: {string.Join(", ", tried)}");
    }

    private static IEnumerable<string> Candidates()
    {
        var env = Environment.GetEnvironmentVariable("DISTILLDIFF_NATIVE");
        if (!string.IsNullOrEmpty(env)) yield return Directory.Exists(env) ? Path.Combine(env, FileName) : env;
        yield return Path.Combine(AppContext.BaseDirectory, FileName);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DistillDiff.sln")))
            {
                yield return Path.Combine(dir.FullName, "build", "native", FileName);
                yield break;
            }
        }
    }
}
