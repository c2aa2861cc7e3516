namespace HotPath.Durability;

/// <summary>
/// The transactional commits of one consumer group on one durable partition whose records are not durable yet: the
/// group's persisted offset stays at its floor (the committed offset before the first of them) until they are, in
/// commit order, and each new one's record waits for the previous one's. Kept by the partition's journal per group id
/// (<see cref="JournalProgress.HoldsFor"/>), so that a group instance that replaces a departed one with the same id
/// continues the same chain.
/// </summary>
/// <remarks>
/// Ordering: <see cref="Hold"/> writes the floor (release) before the transaction's commit moves the committed offset (a
/// CAS, a release); the journaller reads the committed offset (acquire) and then <see cref="Floor"/> (acquire), so a
/// committed offset it sees comes with the hold that covers it. Thread-safety: any thread; one lock, once per
/// transaction.
/// </remarks>
internal sealed class OffsetHolds
{
    private readonly List<(long Offset, DurableCommit Commit, bool Durable)> _pending = [];
    private long _floor = long.MaxValue;

    /// <summary>The highest offset that may be persisted now, or <see cref="long.MaxValue"/> when nothing is held. Acquire.</summary>
    public long Floor => Volatile.Read(ref _floor);

    /// <summary>
    /// <paramref name="commit"/> decided to commit <paramref name="offset"/>; <paramref name="committed"/> is the committed
    /// offset before it. Returns the latest earlier commit that is not durable yet, or null.
    /// </summary>
    public DurableCommit? Hold(long offset, DurableCommit commit, long committed)
    {
        lock (_pending)
        {
            if (_pending.Count == 0)
            {
                // Release: before the transaction's commit moves the committed offset.
                Volatile.Write(ref _floor, committed);
            }

            DurableCommit? before = null;
            foreach ((_, DurableCommit pending, bool durable) in _pending)
            {
                before = durable ? before : pending;
            }

            _pending.Add((offset, commit, false));
            return before;
        }
    }

    /// <summary><paramref name="commit"/>'s record is durable: the floor passes it once every earlier one is durable too.</summary>
    public void Release(DurableCommit commit)
    {
        lock (_pending)
        {
            int index = _pending.FindIndex(p => ReferenceEquals(p.Commit, commit));
            if (index >= 0)
            {
                _pending[index] = _pending[index] with { Durable = true };
            }

            long floor = Volatile.Read(ref _floor);
            int done = 0;
            while (done < _pending.Count && _pending[done].Durable)
            {
                floor = _pending[done++].Offset;
            }

            _pending.RemoveRange(0, done);
            Volatile.Write(ref _floor, _pending.Count == 0 ? long.MaxValue : floor);
        }
    }
}
