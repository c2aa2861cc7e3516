using System.Runtime.InteropServices;

namespace HotPath.Workers;

/// <summary>
/// The libc calls behind <see cref="CpuAffinity"/> on Linux. Blittable signatures, so the runtime needs no
/// marshalling code and the calls stay AOT-compatible.
/// </summary>
/// <remarks>Thread safety: both calls act on the calling thread only.</remarks>
internal static class LinuxAffinityInterop
{
    private const string LibC = "libc";

    /// <summary>
    /// <c>int sched_setaffinity(pid_t pid, size_t cpusetsize, const cpu_set_t *mask)</c>; pid 0 is the calling
    /// thread. Returns 0, or -1 with errno set.
    /// </summary>
    /// <param name="pid">Thread id; 0 for the calling thread.</param>
    /// <param name="cpuSetSize">Size of <paramref name="mask"/> in bytes.</param>
    /// <param name="mask">The CPUs the thread may run on.</param>
    /// <returns>0 on success, -1 on failure.</returns>
    [DllImport(LibC, EntryPoint = "sched_setaffinity", ExactSpelling = true, SetLastError = true)]
    internal static extern int SchedSetAffinity(int pid, nuint cpuSetSize, ref CpuSet mask);

    /// <summary><c>int sched_getcpu(void)</c>: the CPU the calling thread runs on, or -1 with errno set.</summary>
    /// <returns>The CPU index, or -1.</returns>
    [DllImport(LibC, EntryPoint = "sched_getcpu", ExactSpelling = true, SetLastError = true)]
    internal static extern int SchedGetCpu();
}
