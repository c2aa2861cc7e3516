using HotPath.Workers;

namespace HotPath.Benchmarks.Throughput;

/// <summary>
/// One implementation under test, for one event type: the writer's loop and the reader's loop. The harness in
/// <see cref="ThroughputBenchmark"/> runs <see cref="Write"/> on the benchmark thread and <see cref="Read"/> on
/// its reader thread, the same way for every implementation.
/// </summary>
/// <remarks>
/// Waiting is the same everywhere: an implementation that has to wait (reader on an empty queue, writer on a
/// full one) calls <see cref="Idle"/>, which is HotPath's <see cref="WaitStrategy.Yielding"/> step (spin briefly,
/// then <see cref="Thread.Yield"/>). HotPath's own writer waits inside <c>Publish</c> with the topic's strategy,
/// which the HotPath pipes set to the same <see cref="WaitStrategy.Yielding"/>.
/// </remarks>
public abstract class EventPipe : IDisposable
{
    private volatile bool _aborted;

    /// <summary>True when the harness requires this implementation to allocate nothing per event.</summary>
    public virtual bool MustNotAllocate => false;

    /// <summary>Writer threads: 1 unless the scenario has several; writer 0 is the benchmark thread.</summary>
    public virtual int Writers => 1;

    /// <summary>Harness reader threads, each calling <see cref="Read"/> with its index.</summary>
    public virtual int Readers => 1;

    /// <summary>True when every reader receives every event (fan-out); false when the readers share them (partitions).</summary>
    public virtual bool EachReaderSeesAll => true;

    /// <summary>Benchmark thread, before any thread starts on the invocation: the range it covers.</summary>
    /// <param name="first">The first sequence number.</param>
    /// <param name="count">How many events, over all writers.</param>
    public virtual void BeginInvocation(long first, int count)
    {
    }

    /// <summary>
    /// Writer <paramref name="writer"/>: publishes <paramref name="count"/> events with sequence numbers
    /// <paramref name="start"/>, <paramref name="start"/> + <paramref name="stride"/>, ...
    /// </summary>
    /// <param name="writer">The writer's index, 0 to <see cref="Writers"/> - 1.</param>
    /// <param name="start">The first sequence number.</param>
    /// <param name="stride">The distance between consecutive sequence numbers (the number of writers).</param>
    /// <param name="count">How many events this writer publishes.</param>
    public abstract void Write(int writer, long start, int stride, int count);

    /// <summary>Reader <paramref name="reader"/>: receives its share of the invocation's events, checks each, and returns the sum of their sequence numbers.</summary>
    /// <param name="reader">The reader's index, 0 to <see cref="Readers"/> - 1.</param>
    /// <param name="first">The invocation's first sequence number.</param>
    /// <param name="count">How many events the invocation publishes over all writers.</param>
    /// <returns>The sum of the received sequence numbers.</returns>
    public abstract long Read(int reader, long first, int count);

    /// <summary>
    /// After <see cref="Read"/> returned: what the threads behind reader <paramref name="reader"/> that the harness does
    /// not run (a consumer-group member's own thread) allocated during the invocation; 0 when there are none.
    /// </summary>
    /// <param name="reader">The reader's index, 0 to <see cref="Readers"/> - 1.</param>
    /// <returns>Bytes allocated by those threads in the invocation.</returns>
    public virtual long ReaderThreadsAllocated(int reader) => 0;

    /// <summary>Any thread: makes a waiting <see cref="Write"/> or <see cref="Read"/> throw instead of waiting forever (the other side failed).</summary>
    public virtual void Abort() => _aborted = true;

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the implementation's resources.</summary>
    /// <param name="disposing">True from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>One wait step: the Yielding strategy's, for every implementation. Throws once aborted.</summary>
    /// <param name="iteration">Consecutive failed checks; reset it to 0 after progress.</param>
    protected void Idle(ref int iteration)
    {
        if (_aborted)
        {
            throw new OperationCanceledException("the other side of the benchmark failed");
        }

        WaitStrategy.Yielding.Idle(ref iteration);
    }
}
