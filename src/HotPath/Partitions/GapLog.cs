namespace HotPath.Partitions;

/// <summary>
/// The offsets of a multi-writer partition that carry no event because their writer abandoned the claim
/// (an exception while filling the slot). Like the offsets Kafka spends on transaction markers, they are
/// skipped by every reader; the slot itself holds <c>default(T)</c>.
/// </summary>
/// <remarks>
/// Design: writers add under <see cref="_lock"/> and then bump <see cref="_version"/> with a release write,
/// BEFORE they publish the abandoned slot. A reader that acquires the slot's availability afterwards reads
/// the version and sees the bump, so it refreshes its next-gap cursor before it could hand the slot out.
/// Gaps are forgotten (pruned, inside <see cref="Add"/>) only below a bound no reader can still reach, computed by
/// the partition (<c>Partition.GapPruneBoundLocked</c>): lossless readers never go below it, and a lossy reader that
/// reads a gap view missing a pruned gap discards that slot as overwritten, because it reads its view before the
/// fence and reach check that validate its copies (<see cref="CopyBetween"/>).
/// Gaps are rare; everything here is a slow path except <see cref="Version"/>, read once per batch.
/// </remarks>
internal sealed partial class GapLog
{
    private readonly object _lock = new();
    private readonly List<long> _offsets = [];
    private int _version;

    /// <summary>Acquire-read of the change counter; pairs with the release write in <see cref="Add"/>.</summary>
    public int Version => Volatile.Read(ref _version);

    /// <summary>
    /// Records the offsets [<paramref name="from"/>, <paramref name="to"/>]; offsets below <paramref name="pruneBelow"/> are
    /// no longer needed by any reader. One version bump for the whole range.
    /// </summary>
    public void Add(long from, long to, long pruneBelow)
    {
        lock (_lock)
        {
            for (long offset = from; offset <= to; offset++)
            {
                // Offsets are recorded in rising order mostly: the search lands at the end, and so does the insert.
                int index = _offsets.BinarySearch(offset);
                if (index < 0)
                {
                    _offsets.Insert(~index, offset);
                }
            }

            int stale = 0;
            while (stale < _offsets.Count && _offsets[stale] < pruneBelow)
            {
                stale++;
            }

            _offsets.RemoveRange(0, stale);

            // Release: the list change above happens-before any reader that reads the new version.
            Volatile.Write(ref _version, _version + 1);
        }
    }

    /// <summary>The first gap at or after <paramref name="offset"/>, or <see cref="long.MaxValue"/>.</summary>
    public long NextAtOrAfter(long offset)
    {
        lock (_lock)
        {
            int index = _offsets.BinarySearch(offset);
            if (index < 0)
            {
                index = ~index;
            }

            return index < _offsets.Count ? _offsets[index] : long.MaxValue;
        }
    }

    /// <summary>
    /// Copies the gaps in [<paramref name="from"/>, <paramref name="to"/>] into <paramref name="destination"/>, in order, and
    /// returns how many; <paramref name="nextAfter"/> is the first gap after <paramref name="to"/>, or
    /// <see cref="long.MaxValue"/>. One consistent view (under the lock) for a lossy reader's chunk.
    /// </summary>
    public int CopyBetween(long from, long to, Span<long> destination, out long nextAfter)
    {
        lock (_lock)
        {
            int index = _offsets.BinarySearch(from);
            if (index < 0)
            {
                index = ~index;
            }

            int count = 0;
            while (index < _offsets.Count && _offsets[index] <= to)
            {
                destination[count++] = _offsets[index++];
            }

            nextAfter = index < _offsets.Count ? _offsets[index] : long.MaxValue;
            return count;
        }
    }

    /// <summary>True when <paramref name="offset"/> is recorded.</summary>
    public bool Contains(long offset)
    {
        lock (_lock)
        {
            return _offsets.BinarySearch(offset) >= 0;
        }
    }

    /// <summary>The last offset in [<paramref name="from"/>, <paramref name="to"/>] that is not a gap, or from - 1.</summary>
    public long LastNonGap(long from, long to)
    {
        lock (_lock)
        {
            long offset = to;
            while (offset >= from && _offsets.BinarySearch(offset) >= 0)
            {
                offset--;
            }

            return offset;
        }
    }
}
