using HotPath.Internal;

namespace HotPath.Durability;

/// <summary>
/// One durable partition's journal and how far it got: the end of what is acknowledged under the topic's
/// <see cref="SyncPolicy"/>, the journal's retained start, and a failure of the journal, if any. Writers wait here for
/// their events to be acknowledged (<see cref="WaitAcknowledged"/>).
/// </summary>
/// <remarks>
/// <para><b>Design.</b> The journaller thread is the only writer of <see cref="_acknowledged"/>, <see cref="_start"/> and
/// <see cref="_fault"/>. It writes the journal first, then raises <see cref="_acknowledged"/> (release): a reader that
/// acquires the value may read the journal up to it. Waiters count themselves in <see cref="_waiters"/> before they check
/// and wait; the journaller raises the value, runs a full fence, then reads the count and pulses only when someone waits:
/// a Dekker pair (both sides fence between their write and their read), so either the waiter's re-check sees the new
/// value or the journaller sees the waiter. Neither side is on a per-event path.</para>
/// <para>Thread-safety: any thread, except the journaller's writes (<see cref="Acknowledge"/>, <see cref="SetStart"/>,
/// <see cref="Fail"/>).</para>
/// </remarks>
internal sealed class JournalProgress
{
    private readonly object _gate = new();
    private readonly object _readGate = new();
    private readonly List<TransactionPart> _registered = [];
    private readonly Dictionary<string, OffsetHolds> _holds = new(StringComparer.Ordinal);
    private int _registeredCount;
    private bool _closed;
    private PaddedLong _acknowledged;
    private long _start;
    private int _waiters;
    private Exception? _fault;

    public JournalProgress(PartitionJournal journal, string topicName, int partition)
    {
        Journal = journal;
        TopicName = topicName;
        Partition = partition;
        _acknowledged.Value = journal.EndOffset;
        _start = journal.StartOffset;
    }

    /// <summary>The partition's journal. Appends from the journaller thread only; reads from any thread.</summary>
    public PartitionJournal Journal { get; }

    public string TopicName { get; }

    public int Partition { get; }

    /// <summary>
    /// Offsets below this are acknowledged: written to the operating system (<see cref="SyncPolicy.None"/>) or forced to
    /// stable storage (the other policies). Acquire: pairs with the release in <see cref="Acknowledge"/>.
    /// </summary>
    public long Acknowledged => Volatile.Read(ref _acknowledged.Value);

    /// <summary>The first offset the journal retains. Acquire: pairs with the release in <see cref="SetStart"/>.</summary>
    public long Start => Volatile.Read(ref _start);

    /// <summary>The journal's failure, or null. Acquire: pairs with the release in <see cref="Fail"/>.</summary>
    public Exception? Fault => Volatile.Read(ref _fault);

    /// <summary>The durability directory's transaction log (acquired when first needed); null for a journal used alone.</summary>
    public TransactionLogHandle? Transactions { get; init; }

    /// <summary>The topic's sync policy: what "durable" means for a transaction's part here.</summary>
    public SyncPolicy Sync { get; init; }

    /// <summary>Wakes the journaller (set by it): a transaction it takes part in became durable elsewhere.</summary>
    public Action? JournallerWake { get; set; }

    /// <summary>
    /// A committing transaction's part here (its events, or as an input wait the offset it consumed up to here), registered
    /// before its entry in the partition's transaction index closes:
    /// the journaller reads the last stable offset (acquire) before it drains the registrations (under the same lock as
    /// this add), so it never journals the part's offsets without knowing they are tagged.
    /// </summary>
    public void RegisterTransactionPart(TransactionPart part)
    {
        lock (_registered)
        {
            _registered.Add(part);
            // Release: before the transaction's entry closes (the last stable offset's release write follows it).
            Volatile.Write(ref _registeredCount, _registered.Count);
        }
    }

    /// <summary>Journaller: moves the registered parts into <paramref name="into"/>; true when there were any.</summary>
    public bool DrainTransactionParts(List<TransactionPart> into)
    {
        // Acquire, after the journaller's read of the last stable offset: a registration made before that offset moved is
        // counted here. No lock per round when nothing was registered (topics without such transactions).
        if (Volatile.Read(ref _registeredCount) == 0)
        {
            return false;
        }

        lock (_registered)
        {
            if (_registered.Count == 0)
            {
                return false;
            }

            into.AddRange(_registered);
            _registered.Clear();
            Volatile.Write(ref _registeredCount, 0);
            return true;
        }
    }

    /// <summary>The transactional offset holds of <paramref name="groupId"/> on this partition (created on first use).</summary>
    public OffsetHolds HoldsFor(string groupId)
    {
        lock (_holds)
        {
            if (!_holds.TryGetValue(groupId, out OffsetHolds? holds))
            {
                holds = new OffsetHolds();
                _holds[groupId] = holds;
            }

            return holds;
        }
    }

    /// <summary>The highest offset of <paramref name="groupId"/> that may be persisted now (its holds' floor), or <see cref="long.MaxValue"/>.</summary>
    public long PersistableFloor(string groupId)
    {
        lock (_holds)
        {
            return _holds.TryGetValue(groupId, out OffsetHolds? holds) ? holds.Floor : long.MaxValue;
        }
    }

    /// <summary>Wakes the journaller, if it registered a wake.</summary>
    public void WakeJournaller() => JournallerWake?.Invoke();

    /// <summary>True once the topic closed its files: readers of the journal get nothing more. Acquire.</summary>
    public bool IsClosed => Volatile.Read(ref _closed);

    /// <summary>
    /// A reader's read of the journal (see <see cref="PartitionJournal.Read"/>); false once the topic closed the journal.
    /// Under a lock shared with <see cref="MarkClosed"/>: a read never runs on closed files. Catch-up readers take it
    /// once per chunk (up to 256 events), off the ring's hot path.
    /// </summary>
    public bool TryRead(long offset, Span<byte> destination, out JournalRun run)
    {
        lock (_readGate)
        {
            if (_closed)
            {
                run = default;
                return false;
            }

            run = Journal.Read(offset, destination);
            return true;
        }
    }

    /// <summary>The topic is closing its files: waits for a read in progress, then refuses later ones.</summary>
    public void MarkClosed()
    {
        lock (_readGate)
        {
            // Release (with the lock): a reader that sees it stops reading the journal.
            Volatile.Write(ref _closed, true);
        }
    }

    /// <summary>Journaller: raises the acknowledged end and wakes the writers waiting for it.</summary>
    public void Acknowledge(long end)
    {
        // Release: the journal's bytes below `end` were written (and synced, per policy) before; a reader or waiter that
        // acquires the value may rely on them.
        Volatile.Write(ref _acknowledged.Value, end);
        WakeWaiters();
    }

    /// <summary>Journaller, under the partition's registration lock: the journal's retained start moved up.</summary>
    public void SetStart(long start) =>
        // Release: the segments below were deleted; a registration that reads the new start never asks for them.
        Volatile.Write(ref _start, start);

    /// <summary>Journaller: the journal failed; waiters and later waits throw <paramref name="fault"/>.</summary>
    public void Fail(Exception fault)
    {
        // Release: the exception object is fully built before a waiter reads the reference.
        Volatile.Write(ref _fault, fault);
        WakeWaiters();
    }

    /// <summary>
    /// Waits until <paramref name="offset"/> is acknowledged; false when <paramref name="timeout"/> passed first.
    /// Throws the journal's failure (a <see cref="JournalException"/> naming the file) when it failed before.
    /// </summary>
    public bool WaitAcknowledged(long offset, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (Acknowledged > offset)
        {
            return true;
        }

        long deadline = Deadline.From(timeout);
        // Full fence (locked increment): the count is visible before our re-check below reads the value.
        Interlocked.Increment(ref _waiters);
        try
        {
            using CancellationTokenRegistration registration = cancellationToken.CanBeCanceled
                ? cancellationToken.Register(static gate => { lock (gate!) { Monitor.PulseAll(gate); } }, _gate)
                : default;
            lock (_gate)
            {
                while (Acknowledged <= offset)
                {
                    ThrowIfFaulted(offset);
                    cancellationToken.ThrowIfCancellationRequested();
                    // Wake at least every 100 ms: a cancellation or failure is also seen without its pulse.
                    int wait = Deadline.MillisecondsUntil(deadline, 100);
                    if (wait == 0)
                    {
                        return false;
                    }

                    Monitor.Wait(_gate, wait);
                }
            }

            return true;
        }
        finally
        {
            Interlocked.Decrement(ref _waiters);
        }
    }

    private void ThrowIfFaulted(long offset)
    {
        if (Fault is Exception fault)
        {
            throw new JournalException(
                Journal.Directory,
                $"offset {offset} of partition {Partition} of '{TopicName}' will never be acknowledged: the journal failed ({fault.Message})",
                fault);
        }
    }

    private void WakeWaiters()
    {
        // Full fence: our write above is visible before we read the count (pairs with the waiters' locked increment).
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _waiters) != 0)
        {
            lock (_gate)
            {
                Monitor.PulseAll(_gate);
            }
        }
    }
}
