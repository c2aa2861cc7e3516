using System.Runtime.CompilerServices;

namespace HotPath.Internal;

/// <summary>
/// A number per thread for the multi-writer bias (Partition.Bias.cs): never 0 or negative, never reused by another
/// thread of the process (<see cref="Environment.CurrentManagedThreadId"/>'s ids are reused once a thread ended). A
/// thread-static read still costs a call into the runtime's TLS resolver on Linux, so the bias's fast path does without
/// it (see "Who is the owner" there).
/// </summary>
internal static class WriterIdentity
{
    [ThreadStatic]
    private static long t_id;

    private static long s_last;

    /// <summary>The calling thread's number. Thread-safety: any thread; each gets its own.</summary>
    public static long Current
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            long id = t_id;
            return id != 0 ? id : Assign();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long Assign()
    {
        // Atomic increment: distinct numbers across threads; 2^63 threads never happen.
        long id = Interlocked.Increment(ref s_last);
        t_id = id;
        return id;
    }
}
