using System.Runtime.CompilerServices;

namespace HotPath.Benchmarks.Throughput;

/// <summary>
/// Where a consumer-group member's handler (on the member's own thread) reports to the harness: the harness arms
/// it with the invocation's end before any event of the invocation is published; the handler signals it at the end
/// of the dispatch batch in which its check reaches that end, with its running sum and its thread's allocation
/// counter; a harness reader thread waits for the signal. What the member's thread allocated between two signals is
/// reported (<see cref="Allocated"/>) for <see cref="PipeDriver"/> to judge with the rule it applies to its own threads.
/// </summary>
public sealed class DeliverySink
{
    private readonly SemaphoreSlim _reached = new(0);
    private long _end = long.MaxValue;
    private long _sum;
    private long _allocated;
    private long _previousSum;
    private long _previousAllocated;
    private bool _signalled;
    private volatile bool _aborted;

    /// <summary>What the member's thread allocated between the previous signal and the last one (0 before the first).</summary>
    public long Allocated { get; private set; }

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
    /// readers time out) and returns this invocation's sum; sets <see cref="Allocated"/>. The first signal's count
    /// includes everything the thread did before (joining, assignment), so it reports 0.
    /// </summary>
    /// <returns>The sum of the sequence numbers the handler received in this invocation.</returns>
    public long Wait()
    {
        _reached.Wait();
        if (_aborted)
        {
            throw new OperationCanceledException("the other side of the benchmark failed or timed out");
        }

        long sum = _sum - _previousSum;
        Allocated = _signalled ? _allocated - _previousAllocated : 0;
        _signalled = true;
        _previousSum = _sum;
        _previousAllocated = _allocated;
        return sum;
    }
}
