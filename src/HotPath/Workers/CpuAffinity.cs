using System.Runtime.InteropServices;
using HotPath.Partitioning;

namespace HotPath.Workers;

/// <summary>
/// Pins the calling thread to one CPU, so a busy-spinning worker keeps its caches and is not migrated between
/// cores, and undoes that pinning.
/// </summary>
/// <remarks>
/// <para>
/// Supported on Linux (<c>sched_setaffinity</c> on the calling thread with a full 128-byte <c>cpu_set_t</c>) and
/// Windows (<c>SetThreadAffinityMask</c>). Elsewhere the <c>Try</c> methods return false and say why; they never
/// report success without pinning.
/// </para>
/// <para>
/// CPU indices are checked against <c>[0, Environment.ProcessorCount)</c>. When the process was started restricted
/// to other CPU numbers (e.g. a cpuset of 4-5), <see cref="Environment.ProcessorCount"/> counts the allowed CPUs but
/// their numbers differ, and the kernel rejects a mask with none of them: the <c>Try</c> methods then return false.
/// On Windows only the first 64 CPUs (the calling thread's processor group) can be named.
/// </para>
/// <para>Thread safety: every member acts on the calling thread only and may be called from any thread.</para>
/// </remarks>
public static class CpuAffinity
{
    private const int WindowsMaskBits = 64;

    /// <summary>True when this OS supports pinning: Linux or Windows.</summary>
    /// <remarks>Thread safety: safe from any thread.</remarks>
    public static bool IsSupported => OperatingSystem.IsLinux() || OperatingSystem.IsWindows();

    /// <summary>Restricts the calling thread to run only on <paramref name="cpu"/>.</summary>
    /// <param name="cpu">A CPU index in <c>[0, Environment.ProcessorCount)</c>.</param>
    /// <param name="error">Null on success; otherwise why pinning failed, including the OS error.</param>
    /// <returns>True when the thread is now pinned to <paramref name="cpu"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="cpu"/> is negative or not less than <see cref="Environment.ProcessorCount"/>.
    /// </exception>
    /// <remarks>
    /// Call it from the thread to pin, e.g. first thing in a worker's loop. The kernel moves the thread to
    /// <paramref name="cpu"/> before the call returns.
    /// Thread safety: affects only the calling thread; safe from any thread.
    /// </remarks>
    public static bool TryPinCurrentThread(int cpu, out string? error)
    {
        int processorCount = Environment.ProcessorCount;
        if ((uint)cpu >= (uint)processorCount)
        {
            Internal.ThrowHelper.ArgumentOutOfRange(nameof(cpu), $"must be in [0, {processorCount}) (Environment.ProcessorCount)", cpu);
        }

        if (OperatingSystem.IsLinux())
        {
            if (cpu >= CpuSet.Capacity)
            {
                error = $"cpu {cpu} does not fit a {CpuSet.ByteLength}-byte cpu_set_t (at most {CpuSet.Capacity} CPUs)";
                return false;
            }

            var set = default(CpuSet);
            set.Add(cpu);
            return TrySetLinuxAffinity(ref set, out error);
        }

        if (OperatingSystem.IsWindows())
        {
            if (cpu >= WindowsMaskBits || cpu >= nuint.Size * 8)
            {
                error = $"cpu {cpu} is outside the calling thread's processor group; processor groups are not supported";
                return false;
            }

            return TrySetWindowsAffinity((nuint)1 << cpu, out error);
        }

        error = UnsupportedMessage();
        return false;
    }

    /// <summary>
    /// Undoes pinning: lets the calling thread run on every CPU in <c>[0, Environment.ProcessorCount)</c>.
    /// </summary>
    /// <returns>True when the affinity was set; false on failure or on an unsupported OS.</returns>
    /// <remarks>Thread safety: affects only the calling thread; safe from any thread.</remarks>
    public static bool TryResetCurrentThread()
    {
        int processorCount = Environment.ProcessorCount;
        if (OperatingSystem.IsLinux())
        {
            var set = default(CpuSet);
            int count = Math.Min(processorCount, CpuSet.Capacity);
            for (int cpu = 0; cpu < count; cpu++)
            {
                set.Add(cpu);
            }

            return TrySetLinuxAffinity(ref set, out _);
        }

        if (OperatingSystem.IsWindows())
        {
            int bits = Math.Min(Math.Min(processorCount, WindowsMaskBits), nuint.Size * 8);
            nuint mask = bits == nuint.Size * 8 ? nuint.MaxValue : ((nuint)1 << bits) - 1;
            return TrySetWindowsAffinity(mask, out _);
        }

        return false;
    }

    /// <summary>Returns the CPU the calling thread is running on right now.</summary>
    /// <returns>
    /// The CPU index (<c>sched_getcpu</c> on Linux, <c>GetCurrentProcessorNumber</c> on Windows, where it is the
    /// number within the thread's processor group), or -1 on an unsupported OS or when the call fails.
    /// </returns>
    /// <remarks>
    /// Unlike <see cref="Thread.GetCurrentProcessorId"/>, the value is read from the OS on every call, not cached.
    /// An unpinned thread may have moved by the time the caller looks at the result.
    /// Thread safety: safe from any thread.
    /// </remarks>
    public static int GetCurrentCpu()
    {
        if (OperatingSystem.IsLinux())
        {
            return LinuxAffinityInterop.SchedGetCpu();
        }

        if (OperatingSystem.IsWindows())
        {
            return (int)WindowsAffinityInterop.GetCurrentProcessorNumber();
        }

        return -1;
    }

    private static bool TrySetLinuxAffinity(ref CpuSet set, out string? error)
    {
        // pid 0 means the calling thread (not the whole process) for sched_setaffinity.
        if (LinuxAffinityInterop.SchedSetAffinity(0, CpuSet.ByteLength, ref set) == 0)
        {
            error = null;
            return true;
        }

        int errno = Marshal.GetLastPInvokeError();
        error = $"sched_setaffinity failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})";
        return false;
    }

    private static bool TrySetWindowsAffinity(nuint mask, out string? error)
    {
        if (WindowsAffinityInterop.SetThreadAffinityMask(WindowsAffinityInterop.GetCurrentThread(), mask) != 0)
        {
            error = null;
            return true;
        }

        int lastError = Marshal.GetLastPInvokeError();
        error = $"SetThreadAffinityMask failed: error {lastError} ({Marshal.GetPInvokeErrorMessage(lastError)})";
        return false;
    }

    private static string UnsupportedMessage() =>
        $"CPU pinning is unsupported on this OS ({RuntimeInformation.OSDescription}); only Linux and Windows are supported";
}
