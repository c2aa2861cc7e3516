using HotPath.Partitions;

namespace HotPath.Consumers;

/// <content>The lossy dispatch: copy a chunk, fence, validate the copies against the writer's reach (see the type's remarks).</content>
internal sealed partial class ReadCursor<T>
{
    private int DispatchLossy<THandler>(ref THandler handler, int max)
        where THandler : IEventHandler<T>
    {
        Partition<T> partition = _partition;
        int capacity = partition.Capacity;
        T[] copies = _copies!;
        long start = _position;
        long first = start;

        // Lapped already? Jump to the oldest slot the writer cannot reach before we copy it.
        long reach = partition.WriterReach();
        if (reach - capacity >= first)
        {
            first = reach - capacity + 1 + (capacity >> 3);
            MarkLost(first - start);
            _position = first;
        }

        long last = partition.HighestPublished(first, Math.Min(first + max - 1, first + copies.Length - 1));
        if (last < first)
        {
            return (int)(first - start);
        }

        // The gaps of [first, last]: read after the slots' availability (so every gap published there is in it) and
        // before the fence below (so a gap pruned before this read lies below the reach check's bound: see GapLog).
        int gapCount = ReadLossyGaps(first, last);
        int count = (int)(last - first + 1);
        SlotRun<T> slots = partition.SlotsOf(first, count);
        slots.Head.CopyTo(copies);
        slots.Tail.CopyTo(copies.AsSpan(slots.Head.Length));

        // Full fence: the copies above are complete before we read the writer's reach (a plain acquire would let
        // the copy's loads drift past the reach read on weakly ordered CPUs).
        Interlocked.MemoryBarrier();
        long validFrom = Math.Max(first, partition.WriterReach() - capacity + 1);
        if (validFrom > last)
        {
            MarkLost(last + 1 - first);
            _position = last + 1;
            return (int)(last + 1 - start);
        }

        if (validFrom > first)
        {
            MarkLost(validFrom - first);
        }

        long[]? gaps = _lossyGaps;
        int nextGap = 0;
        while (nextGap < gapCount && gaps![nextGap] < validFrom)
        {
            nextGap++;
        }

        long endOfBatch = last;
        for (int g = gapCount - 1; g >= nextGap && gaps![g] == endOfBatch; g--)
        {
            endOfBatch--;
        }

        int id = partition.Id;
        _dispatchLast = last;
        _dispatching = true;
        try
        {
            for (long offset = validFrom; offset <= last; offset++)
            {
                if (nextGap < gapCount && gaps![nextGap] == offset)
                {
                    nextGap++;
                    MarkGap();
                    continue;
                }

                _position = offset;
                if (Volatile.Read(ref _fenced))
                {
                    return (int)(offset - start);
                }

                handler.OnEvent(ref copies[(int)(offset - first)], id, offset, offset == endOfBatch);
            }

            _position = last + 1;
        }
        finally
        {
            _dispatching = false;
        }

        return (int)(last + 1 - start);
    }

    /// <summary>
    /// A lossy cursor's one view of the gaps in [<paramref name="first"/>, <paramref name="last"/>], copied into
    /// <c>_lossyGaps</c>; returns how many. While the gap log is unchanged, the cached next gap answers without its lock.
    /// </summary>
    private int ReadLossyGaps(long first, long last)
    {
        GapLog? gaps = _partition.Gaps;
        if (gaps is null)
        {
            return 0;
        }

        // Acquire, after the slots' availability was acquired: a gap published in [first, last] is in the log we read.
        int version = gaps.Version;
        // Unchanged log, and the cached next gap (the first at or after _gapFrom <= first) lies past last: no gap here.
        if (version == _gapVersionSeen && _gapFrom <= first && _nextGap > last)
        {
            return 0;
        }

        _gapVersionSeen = version;
        _gapFrom = first;
        long[] view = _lossyGaps ??= new long[_copies!.Length];
        int count = gaps.CopyBetween(first, last, view, out long nextAfter);
        _nextGap = count != 0 ? view[0] : nextAfter;
        return count;
    }

    private void MarkLost(long count) =>
        // Owner-only write, read by monitors: release so a reader never sees a torn value.
        Volatile.Write(ref _lost, _lost + count);

    /// <summary>Feeds a batch handler one event at a time from a lossy cursor's private copies.</summary>
    private struct BatchAdapter<THandler>(THandler handler) : IEventHandler<T>
        where THandler : IBatchHandler<T>
    {
        public THandler Handler = handler;

        public void OnEvent(ref readonly T @event, int partition, long offset, bool endOfBatch) =>
            Handler.OnBatch(new ReadOnlySpan<T>(in @event), partition, offset);
    }
}
