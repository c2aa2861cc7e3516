using System.Diagnostics;
using HotPath.Internal;

namespace HotPath.Partitions;

/// <summary>
/// A partition's view of transactions: the ones open on it, the last stable offset they define, and the offsets of
/// aborted ones, which read-committed readers skip like gaps.
/// </summary>
/// <remarks>
/// <para><b>Design.</b> A transaction opens its entry here (<see cref="Open"/>) at the first offset it claimed on the
/// partition, before it publishes that offset; it closes it (<see cref="Close"/>) when it commits or aborts, after an
/// abort put its offsets in <see cref="Aborted"/>. The last stable offset (Kafka's LSO) is the lowest first offset of
/// the open entries, or <see cref="long.MaxValue"/> with none: a read-committed reader reads below
/// <c>min(published end, LSO)</c>.</para>
/// <para><b>Ordering.</b> <see cref="_lastStable"/> is written (release) under <see cref="_lock"/> after every change
/// of the entries. A reader reads, in this order: the published end (acquire, as for any read), then
/// <see cref="LastStable"/> (acquire), then the aborted log's version (acquire). An offset it sees published was
/// opened here before its publication (the writer's release of the slot follows its <see cref="Open"/>), so the LSO it
/// reads next is at most that offset while the transaction is open; a later LSO means the transaction ended, and an
/// abort recorded its offsets in <see cref="Aborted"/> before that LSO was written, so the version read next shows
/// them. Readers never take the lock.</para>
/// <para>Thread-safety: any thread; the writes are serialised by the lock, off the per-event path (once per
/// transaction and partition).</para>
/// </remarks>
internal sealed class TransactionIndex
{
    private readonly object _lock = new();
    private readonly List<(object Transaction, long First)> _open = [];
    private PaddedLong _lastStable;

    public TransactionIndex() => _lastStable.Value = long.MaxValue;

    /// <summary>The offsets of aborted transactions: read-committed readers step over them.</summary>
    public GapLog Aborted { get; } = new();

    /// <summary>
    /// The first offset of the oldest open transaction, or <see cref="long.MaxValue"/>. Acquire: pairs with the release
    /// write in <see cref="Recompute"/>; read it after the published end (see the type's remarks).
    /// </summary>
    public long LastStable => Volatile.Read(ref _lastStable.Value);

    /// <summary>The number of open transactions (for statistics and tests).</summary>
    public int OpenCount
    {
        get
        {
            lock (_lock)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>Opens <paramref name="transaction"/>'s entry at <paramref name="first"/>, its first claimed offset here.</summary>
    public void Open(object transaction, long first)
    {
        lock (_lock)
        {
            Debug.Assert(_open.FindIndex(e => ReferenceEquals(e.Transaction, transaction)) < 0, "a transaction opens once per partition");
            _open.Add((transaction, first));
            Recompute();
        }
    }

    /// <summary>Closes <paramref name="transaction"/>'s entry, if open; true when it was.</summary>
    public bool Close(object transaction)
    {
        lock (_lock)
        {
            for (int i = 0; i < _open.Count; i++)
            {
                if (ReferenceEquals(_open[i].Transaction, transaction))
                {
                    _open.RemoveAt(i);
                    Recompute();
                    return true;
                }
            }

            return false;
        }
    }

    private void Recompute()
    {
        long lowest = long.MaxValue;
        foreach ((_, long first) in _open)
        {
            lowest = Math.Min(lowest, first);
        }

        // Release: pairs with the acquire in LastStable; an abort's additions to Aborted happen before it.
        Volatile.Write(ref _lastStable.Value, lowest);
    }
}
