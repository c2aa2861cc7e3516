using System.Runtime.CompilerServices;

namespace HotPath.Benchmarks.Throughput;

/// <summary>
/// Where a consumer-group member's handler (on the member's own thread) reports to the harness: the harness arms
/// it with the invocation's end before any event of the invocation is published; the handler signals it at the end
/// of the dispatch batch in which its check reaches that end, with its running sum and its thread's allocation
/// counter; a harness reader thread waits for the signal.
/// </summary>
public sealed class DeliverySink
{
    private readonly SemaphoreSlim _reached = new(0);
    private long _end = long.MaxValue;
    private long _sum;
    private long _allocated;
    private long _previousSum;
    private long _previousAllocated;
    private long _signals;
    private volatile bool _aborted;

    /// <summary>The end of the current invocation (its first sequence number plus its event count).</summary>
    public long End => Volatile.Read(ref _end);

    /// <summary>Benchmark thread, before the invocation's first publication: sets <see cref="End"/>.</summary>
    /// <param name="end">The invocation's end.</param>
    public void Arm(long end) => Volatile.Write(ref _end, end);

    /// <summary>Member thread: the check reached <see cref="End"/>.</summary>
    /// <param name="cumulativeSum">The check's sum over every invocation so far.</param>
    /// <remarks>Not inlined: once per invocation, and inlining the semaphore into the member's dispatch loop would add
    /// an inline P/Invoke frame set-up to every dispatch call of the code under test.</remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Signal(long cumulativeSum)
    {
        _sum = cumulativeSum;
        _allocated = GC.GetAllocatedBytesForCurrentThread();
        _reached.Release();
    }

    /// <summary>Any thread: the other side failed; makes a waiting <see cref="Wait"/> throw.</summary>
    public void Abort()
    {
        _aborted = true;
        _reached.Release();
    }

    /// <summary>
    /// Harness reader thread: waits for the signal (or <see cref="Abort"/>, which the harness calls when the
    /// readers time out) and returns this invocation's sum. Throws when the member's thread allocated anything
    /// between two signals (after the first two: first-call initialisation) and <paramref name="mustNotAllocate"/>.
    /// </summary>
    /// <param name="mustNotAllocate">Whether the member's thread has an allocation budget of 0.</param>
    /// <returns>The sum of the sequence numbers the handler received in this invocation.</returns>
    public long Wait(bool mustNotAllocate)
    {
        _reached.Wait();
        if (_aborted)
        {
            throw new OperationCanceledException("the other side of the benchmark failed or timed out");
        }

        long sum = _sum - _previousSum;
        long allocated = _allocated - _previousAllocated;
        _previousSum = _sum;
        _previousAllocated = _allocated;
        if (_signals++ >= 2 && mustNotAllocate && allocated != 0)
        {
            throw new InvalidOperationException($"the consumer-group member's thread allocated {allocated} B during one invocation; its budget is 0");
        }

        return sum;
    }
}
