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

    /// <summary>Writer thread: publishes events with sequence numbers <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> - 1.</summary>
    /// <param name="first">The first sequence number.</param>
    /// <param name="count">How many events.</param>
    public abstract void Write(long first, int count);

    /// <summary>Reader thread: receives <paramref name="count"/> events, checks each, and returns the sum of their sequence numbers.</summary>
    /// <param name="first">The sequence number of the first event.</param>
    /// <param name="count">How many events.</param>
    /// <returns>The sum of the received sequence numbers.</returns>
    public abstract long Read(long first, int count);

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
