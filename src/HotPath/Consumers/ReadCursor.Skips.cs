using HotPath.Partitions;

namespace HotPath.Consumers;

/// <content>
/// The offsets a reader steps over instead of handing out: gaps (abandoned multi-writer claims) and, read-committed, the
/// offsets of aborted transactions; the next one of each is cached and re-read when its log changes.
/// </content>
internal sealed partial class ReadCursor<T>
{
    /// <summary>Drops the cached next gap and aborted offset: the next dispatch reads both logs again.</summary>
    private void ForgetSkips()
    {
        _gapVersionSeen = -1;
        _abortedVersionSeen = -1;
        _nextGap = long.MaxValue;
        _nextGapLogged = long.MaxValue;
        _nextAborted = long.MaxValue;
    }

    /// <summary>
    /// Moves the position past the offset <paramref name="gap"/> that is not handed out (a gap, or read-committed an aborted
    /// offset) and finds the next one; returns the new position.
    /// </summary>
    private long StepOverGap(long gap)
    {
        bool aborted = gap == _nextAborted;
        if (aborted)
        {
            MarkAborted();
            _nextAborted = _stable!.Aborted.NextAtOrAfter(gap + 1);
        }

        if (gap == _nextGapLogged)
        {
            if (!aborted)
            {
                MarkGap();
            }

            _nextGapLogged = _partition.Gaps!.NextAtOrAfter(gap + 1);
        }

        _nextGap = Math.Min(_nextGapLogged, _nextAborted);
        _position = gap + 1;
        return gap + 1;
    }

    /// <summary>The last offset in [<paramref name="first"/>, <paramref name="last"/>] handed out (not skipped), or first - 1.</summary>
    private long LastNotSkipped(long first, long last)
    {
        long offset = last;
        while (offset >= first
            && ((_partition.Gaps?.Contains(offset) ?? false) || (_stable?.Aborted.Contains(offset) ?? false)))
        {
            offset--;
        }

        return offset;
    }

    /// <summary>
    /// Takes back the counts of the offsets in [<paramref name="from"/>, <paramref name="to"/>] that this cursor stepped
    /// over: a rewind passes them again, and they are counted again then. Counted as <see cref="StepOverGap"/> counts
    /// them (an aborted offset that is also a gap counts as aborted). Both logs still hold the range: it lies at or above
    /// the committed offset, below which alone they are pruned. Reading thread; a rewind is off the hot path.
    /// </summary>
    private void UncountSkips(long from, long to)
    {
        GapLog? aborted = _stable?.Aborted;
        GapLog? gaps = _partition.Gaps;
        long abortedCount = 0;
        long gapCount = 0;
        for (long offset = aborted?.NextAtOrAfter(from) ?? long.MaxValue; offset <= to; offset = aborted!.NextAtOrAfter(offset + 1))
        {
            abortedCount++;
        }

        for (long offset = gaps?.NextAtOrAfter(from) ?? long.MaxValue; offset <= to; offset = gaps!.NextAtOrAfter(offset + 1))
        {
            if (!(aborted?.Contains(offset) ?? false))
            {
                gapCount++;
            }
        }

        // Owner-only writes, read by monitors: release so a reader never sees a torn value.
        Volatile.Write(ref _aborted, _aborted - abortedCount);
        Volatile.Write(ref _gaps, _gaps - gapCount);
    }

    private void MarkGap() =>
        // Owner-only write, read by monitors: release so a reader never sees a torn value.
        Volatile.Write(ref _gaps, _gaps + 1);

    private void MarkAborted() =>
        // Owner-only write, read by monitors: release so a reader never sees a torn value.
        Volatile.Write(ref _aborted, _aborted + 1);

    /// <summary>
    /// Refreshes the next offset to skip from the gap log and, read-committed, the aborted log, when either changed since
    /// the last look. Called after the readable end was read (acquire), so every gap or abort recorded before the
    /// publication or the last stable offset it read is seen here.
    /// </summary>
    private void RefreshGaps(long from)
    {
        GapLog? gaps = _partition.Gaps;
        if (gaps is not null)
        {
            // Acquire, after the slot availability was acquired: a gap published before the slot is seen here.
            int version = gaps.Version;
            if (version != _gapVersionSeen)
            {
                _gapVersionSeen = version;
                _nextGapLogged = gaps.NextAtOrAfter(from);
                _nextGap = Math.Min(_nextGapLogged, _nextAborted);
            }
        }

        if (_stable is not null)
        {
            // Acquire, after the last stable offset was acquired: an abort's offsets are recorded before its LSO move.
            int version = _stable.Aborted.Version;
            if (version != _abortedVersionSeen)
            {
                _abortedVersionSeen = version;
                _nextAborted = _stable.Aborted.NextAtOrAfter(from);
                _nextGap = Math.Min(_nextGapLogged, _nextAborted);
            }
        }
    }
}
