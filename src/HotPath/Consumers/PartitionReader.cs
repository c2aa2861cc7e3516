using HotPath.Partitions;

namespace HotPath.Consumers;

/// <summary>
/// A lossless pull reader of one partition: the building block under consumer groups, and a plain
/// Kafka-style poll loop for code that wants to drive reading itself. The writer never overwrites an event
/// this reader has not committed past.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>
/// Created by <see cref="Partition{T}"/>'s owner through <c>Topic.CreateReader</c>. Each <c>Poll</c>
/// commits what it handed out (Kafka's auto-commit) unless told otherwise; <see cref="Dispose"/> unregisters
/// the reader so the writer stops waiting for it. Thread-safety: one polling thread at a time;
/// <see cref="CommittedOffset"/> and <see cref="Lag"/> from any thread.
/// </remarks>
public sealed class PartitionReader<T> : IDisposable
    where T : struct
{
    private readonly ReadCursor<T> _cursor;
    private bool _disposed;

    internal PartitionReader(Partition<T> partition, OffsetReset reset, long? offset, IsolationLevel isolation)
    {
        if (reset is not (OffsetReset.Earliest or OffsetReset.Latest))
        {
            Internal.ThrowHelper.ArgumentOutOfRange(nameof(reset), "must be Earliest or Latest", reset);
        }

        if (isolation is not (IsolationLevel.ReadCommitted or IsolationLevel.ReadUncommitted))
        {
            Internal.ThrowHelper.ArgumentOutOfRange(nameof(isolation), "must be ReadCommitted or ReadUncommitted", isolation);
        }

        _cursor = new ReadCursor<T>(partition, reset, offset, lossy: false, readCommitted: isolation == IsolationLevel.ReadCommitted);
    }

    /// <summary>Offsets of aborted transactions this reader stepped over (read-committed). Any thread.</summary>
    public long Aborted => _cursor.Aborted;

    /// <summary>The partition number.</summary>
    public int Partition => _cursor.Partition.Id;

    /// <summary>The next offset this reader hands out. Polling thread.</summary>
    public long Position => _cursor.Position;

    /// <summary>The committed offset: the next offset to read after a restart. Any thread.</summary>
    public long CommittedOffset => _cursor.Committed;

    /// <summary>Published events not yet committed. Any thread; a snapshot.</summary>
    public long Lag => _cursor.Lag;

    /// <summary>Hands up to <paramref name="maxEvents"/> available events to <paramref name="handler"/> without waiting.</summary>
    /// <typeparam name="THandler">A struct handler is called without virtual dispatch.</typeparam>
    /// <param name="handler">The handler.</param>
    /// <param name="maxEvents">The most events to hand out; at least 1.</param>
    /// <param name="commit">Commit after the batch (default). False leaves committing to <see cref="Commit"/>.</param>
    /// <returns>The number of offsets passed (0 when nothing was available).</returns>
    public int Poll<THandler>(ref THandler handler, int maxEvents = int.MaxValue, bool commit = true)
        where THandler : IEventHandler<T>
    {
        ThrowIfDisposed();
        if (maxEvents < 1)
        {
            Internal.ThrowHelper.ArgumentOutOfRange(nameof(maxEvents), "must be at least 1", maxEvents);
        }

        int count = _cursor.Dispatch(ref handler, maxEvents);
        if (commit && count != 0)
        {
            CommitPosition();
        }

        return count;
    }

    /// <summary>Copies the next event out and commits past it, if one is available.</summary>
    /// <param name="event">The event, or default.</param>
    /// <param name="offset">Its offset, or the position.</param>
    /// <returns>False when no event is available.</returns>
    public bool TryRead(out T @event, out long offset)
    {
        ThrowIfDisposed();
        if (!_cursor.TryTake(out @event, out offset))
        {
            // It may have stepped over gaps or aborted offsets before finding nothing: commit past them, or the writer
            // would wait for this reader at offsets it will never hand out.
            if (_cursor.Position != _cursor.Committed)
            {
                CommitPosition();
            }

            return false;
        }

        CommitPosition();
        return true;
    }

    /// <summary>Commits everything handed out so far (manual commit after <c>Poll(commit: false)</c>).</summary>
    public void Commit()
    {
        ThrowIfDisposed();
        CommitPosition();
    }

    /// <summary>Moves to <paramref name="offset"/>, which must lie within the partition's retained window.</summary>
    /// <param name="offset">From the slowest lossless reader's committed offset to the end offset.</param>
    /// <exception cref="ArgumentOutOfRangeException">Outside the retained window; the message gives it.</exception>
    public void Seek(long offset)
    {
        ThrowIfDisposed();
        _cursor.Seek(offset);
    }

    /// <summary>Unregisters the reader: the writer no longer waits for it. Idempotent.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _cursor.Close();
        }
    }

    private void CommitPosition()
    {
        // A pull reader's cursor is never fenced, so the commit always lands.
        bool committed = _cursor.TryCommitPosition();
        System.Diagnostics.Debug.Assert(committed, "a pull reader is never fenced");
    }

    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            Internal.ThrowHelper.ObjectDisposed(nameof(PartitionReader<T>));
        }
    }
}
