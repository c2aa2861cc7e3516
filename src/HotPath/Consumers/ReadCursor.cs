using System.Diagnostics;
using HotPath.Internal;
using HotPath.Partitions;

namespace HotPath.Consumers;

/// <summary>
/// The reading state of one lossless reader on one partition: its position (next offset to hand out), its
/// committed offset (the gating sequence the writer waits for) and its view of abandoned offsets. The dispatch
/// loops of readers and group members live here, once.
/// </summary>
/// <remarks>
/// Design: <see cref="Position"/> and the gap cursor are owned by the reading thread (plain fields). The
/// committed offset is a <see cref="Sequence"/> registered with the partition: the reading thread releases
/// it after the handler is done with every slot below it; the writer acquires it. Committed never exceeds
/// position. Thread-safety: one reading thread at a time; <see cref="Committed"/> from any thread.
/// </remarks>
internal sealed class ReadCursor<T>
    where T : struct
{
    private readonly Partition<T> _partition;
    private readonly Sequence _committed;
    private long _position;
    private long _nextGap = long.MaxValue;
    private int _gapVersionSeen = -1;
    private bool _dispatching;

    public ReadCursor(Partition<T> partition, OffsetReset reset, long? offset)
    {
        _partition = partition;
        _committed = partition.AddGatingSequence(reset, offset);
        _position = _committed.Read();
    }

    private ReadCursor(Partition<T> partition, Sequence committed)
    {
        _partition = partition;
        _committed = committed;
        _position = committed.Read();
    }

    /// <summary>
    /// A new cursor at this one's committed offset that replaces it as the partition's gating sequence; this
    /// cursor is detached (its commits no longer gate the writer). See <c>Partition.ReplaceGatingSequence</c>.
    /// </summary>
    public ReadCursor<T> Fork() => new(_partition, _partition.ReplaceGatingSequence(_committed));

    public Partition<T> Partition => _partition;

    /// <summary>The next offset to hand out. Reading thread.</summary>
    public long Position => _position;

    /// <summary>The committed offset (next offset to read after a restart). Any thread; acquire.</summary>
    public long Committed => _committed.Read();

    /// <summary>Events published but not yet committed. Any thread; a snapshot.</summary>
    public long Lag => Math.Max(0, _partition.EndOffset - _committed.Read());

    /// <summary>The highest offset that may be read now (position - 1 when none).</summary>
    public long Available() => _partition.HighestPublished(_position);

    /// <summary>Hands up to <paramref name="max"/> available events to <paramref name="handler"/>; returns how many offsets it passed.</summary>
    public int Dispatch<THandler>(ref THandler handler, int max)
        where THandler : IEventHandler<T>
    {
        long first = _position;
        long last = Math.Min(_partition.HighestPublished(first), first + max - 1);
        if (last < first)
        {
            return 0;
        }

        RefreshGaps(first);
        Partition<T> partition = _partition;
        int id = partition.Id;
        long nextGap = _nextGap;
        _dispatching = true;
        try
        {
            for (long offset = first; offset <= last; offset++)
            {
                if (offset == nextGap)
                {
                    nextGap = partition.Gaps!.NextAtOrAfter(offset + 1);
                    continue;
                }

                // The position names the event in the handler, so an exception leaves it at the failing event
                // (which is redelivered) and a manual commit may include it (Commit allows position + 1 here).
                _position = offset;
                // The handler reads the slot by reference; the slot cannot be reused before we commit past it.
                handler.OnEvent(ref partition.SlotRef(offset), id, offset, offset == last);
            }

            _position = last + 1;
        }
        finally
        {
            _nextGap = nextGap;
            _dispatching = false;
        }

        return (int)(last - first + 1);
    }

    /// <summary>Hands up to <paramref name="max"/> available events as contiguous spans.</summary>
    public int DispatchBatch<THandler>(ref THandler handler, int max)
        where THandler : IBatchHandler<T>
    {
        long first = _position;
        long last = Math.Min(_partition.HighestPublished(first), first + max - 1);
        if (last < first)
        {
            return 0;
        }

        RefreshGaps(first);
        Partition<T> partition = _partition;
        long offset = first;
        while (offset <= last)
        {
            if (offset == _nextGap)
            {
                _nextGap = partition.Gaps!.NextAtOrAfter(offset + 1);
                _position = ++offset;
                continue;
            }

            // A run stops at the ring's end, at the next gap and at `last`.
            int toWrap = partition.Capacity - ((int)offset & (partition.Capacity - 1));
            long runEnd = Math.Min(Math.Min(last, offset + toWrap - 1), _nextGap - 1);
            int count = (int)(runEnd - offset + 1);
            handler.OnBatch(partition.SlotSpan(offset, count), partition.Id, offset);
            offset = runEnd + 1;
            _position = offset;
        }

        return (int)(last - first + 1);
    }

    /// <summary>Copies the next event out, if any. For pull-style readers.</summary>
    public bool TryTake(out T @event, out long offset)
    {
        while (true)
        {
            offset = _position;
            if (_partition.HighestPublished(offset) < offset)
            {
                @event = default;
                return false;
            }

            RefreshGaps(offset);
            _position = offset + 1;
            if (offset == _nextGap)
            {
                _nextGap = _partition.Gaps!.NextAtOrAfter(offset + 1);
                continue;
            }

            @event = _partition.SlotRef(offset);
            return true;
        }
    }

    /// <summary>Commits everything handed out so far. Reading thread.</summary>
    public void CommitPosition() => Commit(_position);

    /// <summary>Commits <paramref name="nextOffset"/>, which must lie between the committed offset and the position.</summary>
    public void Commit(long nextOffset)
    {
        // Plain read: the reading thread is the only writer of the committed offset outside the registration lock.
        long committed = _committed.ReadOwned();
        if (nextOffset == committed)
        {
            return;
        }

        long limit = _dispatching ? _position + 1 : _position;
        if (nextOffset < committed || nextOffset > limit)
        {
            ThrowHelper.ArgumentOutOfRange(
                nameof(nextOffset), $"must be between the committed offset {committed} and the position {limit}", nextOffset);
        }

        // Release: the handler's reads of every slot below nextOffset happen before the writer sees the value.
        _committed.SetRelease(nextOffset);
        _partition.NotifyReaderProgress();
        Debug.Assert(_committed.ReadOwned() <= limit, "committed never passes the position");
    }

    /// <summary>Moves position and committed offset to <paramref name="offset"/> (within the retained window).</summary>
    public void Seek(long offset)
    {
        _partition.SeekGatingSequence(_committed, offset);
        _position = offset;
        _gapVersionSeen = -1;
        _nextGap = long.MaxValue;
    }

    /// <summary>Re-reads the committed offset as the position: a new owner resumes there.</summary>
    public void ResetToCommitted()
    {
        _position = _committed.Read();
        _gapVersionSeen = -1;
        _nextGap = long.MaxValue;
    }

    /// <summary>Unregisters from the partition: the writer stops waiting for this reader.</summary>
    public void Close() => _partition.RemoveGatingSequence(_committed);

    private void RefreshGaps(long from)
    {
        GapLog? gaps = _partition.Gaps;
        if (gaps is null)
        {
            return;
        }

        // Acquire, after the slot availability was acquired: a gap published before the slot is seen here.
        int version = gaps.Version;
        if (version != _gapVersionSeen)
        {
            _gapVersionSeen = version;
            _nextGap = gaps.NextAtOrAfter(from);
        }
    }
}
