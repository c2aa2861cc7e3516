using System.Runtime.InteropServices;

namespace HotPath.Workers;

/// <summary>
/// The kernel32 calls behind <see cref="CpuAffinity"/> on Windows. Blittable signatures, so the runtime needs no
/// marshalling code and the calls stay AOT-compatible.
/// </summary>
/// <remarks>Thread safety: the calls act on the calling thread only.</remarks>
internal static class WindowsAffinityInterop
{
    private const string Kernel32 = "kernel32";

    /// <summary><c>DWORD_PTR SetThreadAffinityMask(HANDLE, DWORD_PTR)</c>: returns the previous mask, or 0 on failure.</summary>
    /// <param name="thread">Thread handle; <see cref="GetCurrentThread"/> for the calling thread.</param>
    /// <param name="mask">The CPUs, within the thread's processor group, the thread may run on.</param>
    /// <returns>The previous mask, or 0 with the last error set.</returns>
    [DllImport(Kernel32, EntryPoint = "SetThreadAffinityMask", ExactSpelling = true, SetLastError = true)]
    internal static extern nuint SetThreadAffinityMask(nint thread, nuint mask);

    /// <summary><c>HANDLE GetCurrentThread(void)</c>: a pseudo-handle for the calling thread; needs no closing.</summary>
    /// <returns>The pseudo-handle.</returns>
    [DllImport(Kernel32, EntryPoint = "GetCurrentThread", ExactSpelling = true)]
    internal static extern nint GetCurrentThread();

    /// <summary><c>DWORD GetCurrentProcessorNumber(void)</c>: the calling thread's processor within its group.</summary>
    /// <returns>The processor number.</returns>
    [DllImport(Kernel32, EntryPoint = "GetCurrentProcessorNumber", ExactSpelling = true)]
    internal static extern uint GetCurrentProcessorNumber();
}
