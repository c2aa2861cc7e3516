using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using HotPath.Consumers;
using HotPath.Internal;
using HotPath.Partitions;

namespace HotPath.Transactions;

/// <summary>
/// A transactional publisher (Kafka's transactional producer): it begins a transaction, publishes to any partitions of
/// any topics, may add consumer-group offsets, then commits or aborts. On commit its events and offsets take effect
/// together; on abort none of its events is ever handed to a read-committed reader and none of its offsets is applied.
/// Created by <see cref="TransactionCoordinator.CreatePublisher"/>, which fences the previous instance with the same
/// transactional id.
/// </summary>
/// <remarks>
/// <para><b>Design.</b> The state word <see cref="_stateWord"/> holds the <see cref="TransactionState"/> in its low byte
/// and a transaction sequence number above it (incremented by <see cref="Begin"/>), so the coordinator's CAS that aborts
/// a timed-out transaction can never hit the next one. The publishing thread (the owner) moves Ready → Open (Begin),
/// Open → Committing → Ready (commit) and Open → Aborting → Ready (abort). The coordinator moves Open → Aborting →
/// Aborted or Fenced (<see cref="AbortFromOutside"/>), and Ready or Aborted → Fenced.</para>
/// <para><b>Aborts from another thread</b> (timeout, epoch fence, group fence) race with the owner's publishes: an
/// asymmetric Dekker. The owner records what it is about to make visible (the partition entry, the range) and then
/// reads the state (plain program order, no fence); the coordinator CASes the state and then runs a process-wide
/// barrier before it reads the records. Either the coordinator sees the record (and marks it aborted), or the owner's
/// read sees the abort (and marks it itself, then throws). The owner publishes only after that read, so an event of an
/// aborted transaction is in the partition's aborted log before it is published.</para>
/// <para><b>Commit</b>: the decision is the CAS Open → Committing, taken while holding the fork lock of every cursor whose
/// offsets the transaction carries and after checking that none was fenced (KIP-447's generation check); the offsets are
/// then applied (they cannot fail: a fence needs the lock), and the transaction's partition entries closed, which moves
/// each last stable offset past its events.</para>
/// <para>Thread-safety: one thread at a time uses a publisher (as a Kafka producer's transaction is driven by one
/// thread); <see cref="State"/> from any thread.</para>
/// </remarks>
public sealed partial class TransactionalPublisher : IDisposable
{
    private const long StateMask = 0xFF;
    private const long SequenceUnit = 0x100;
    private const long OpenState = (long)TransactionState.Open;

    private readonly TransactionCoordinator _coordinator;
    private readonly object _completion = new();
    private readonly Dictionary<ITransactionalPartition, TransactionWrites> _writes = new(ReferenceEqualityComparer.Instance);
    private TransactionWrites[] _touched = new TransactionWrites[4];
    private int _touchedCount;
    private ITransactionalPartition? _lastPartition;
    private TransactionWrites? _lastWrites;
    private ITransactionalCursor?[] _offsetCursors = new ITransactionalCursor?[4];
    private IOwnedPartition?[] _offsetPartitions = new IOwnedPartition?[4];
    private object?[] _offsetOwners = new object?[4];
    private long[] _offsetValues = new long[4];
    private int _offsetCount;
    private long _stateWord;
    private long _openedAt;
    private string? _endReason;
    private string? _fencedReason;
    private string? _memberOwner;

    internal TransactionalPublisher(TransactionCoordinator coordinator, string transactionalId, int epoch, TimeSpan timeout)
    {
        _coordinator = coordinator;
        TransactionalId = transactionalId;
        Epoch = epoch;
        TransactionTimeout = timeout;
    }

    /// <summary>The transactional id (Kafka's <c>transactional.id</c>).</summary>
    public string TransactionalId { get; }

    /// <summary>This instance's epoch: every <see cref="TransactionCoordinator.CreatePublisher"/> for the id raises it.</summary>
    public int Epoch { get; }

    /// <summary>How long a transaction may stay open before the coordinator aborts it.</summary>
    public TimeSpan TransactionTimeout { get; }

    /// <summary>The state. Any thread; a snapshot.</summary>
    public TransactionState State => (TransactionState)(Volatile.Read(ref _stateWord) & StateMask);

    /// <summary>The start of the open transaction (a <see cref="Stopwatch"/> timestamp), for the coordinator.</summary>
    internal long OpenedAt => Volatile.Read(ref _openedAt);

    /// <summary>The state word, for the coordinator's timed abort (acquire).</summary>
    internal long StateWord => Volatile.Read(ref _stateWord);

    /// <summary>Opens a transaction.</summary>
    /// <exception cref="TransactionException">A transaction is open already, or the last one was aborted by the
    /// coordinator and not yet acknowledged with <see cref="Abort"/>.</exception>
    /// <exception cref="ProducerFencedException">The publisher was fenced.</exception>
    public void Begin()
    {
        ThrowIfDrivenByMember(nameof(Begin));
        BeginCore();
    }

    /// <summary>
    /// Adds a consumer group's offset to the transaction (Kafka's <c>SendOffsetsToTransaction</c>): on commit, the group's
    /// committed offset on the partition moves to <paramref name="nextOffset"/>, together with the transaction's events.
    /// Call it from the handler of the member that owns the partition, on its thread, with the group in
    /// <see cref="CommitMode.Manual"/> (an automatic commit would move the offset outside the transaction).
    /// </summary>
    /// <typeparam name="T">The group's event type.</typeparam>
    /// <param name="group">The consumer group.</param>
    /// <param name="topic">The topic name.</param>
    /// <param name="partition">The partition number.</param>
    /// <param name="nextOffset">The next offset to read, between the committed offset and the member's position.</param>
    /// <exception cref="TransactionException">No transaction is open, the group does not commit manually, or the
    /// calling thread is not the owner's (or the owner was fenced): then the group's offsets cannot be committed by this
    /// transaction. At commit, the transaction is refused (and aborted) when the member no longer owns the partition.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="nextOffset"/> is below the committed offset or past
    /// the member's position.</exception>
    public void SendOffsets<T>(ConsumerGroup<T> group, string topic, int partition, long nextOffset)
        where T : struct
    {
        if (group is null)
        {
            ThrowHelper.ArgumentNull(nameof(group));
        }

        ThrowUnlessOpen("add offsets");
        if (group.Options.CommitMode != CommitMode.Manual)
        {
            Throw($"offsets of group '{group.GroupId}' cannot be added: its CommitMode is {group.Options.CommitMode}, and its automatic commits would move the offsets outside the transaction; use CommitMode.Manual (or JoinTransactional)");
        }

        ReadCursor<T>? cursor = group.CursorForTransaction(topic, partition, out GroupPartition<T> state, out MemberWorker<T>? owner, out string? refusal);
        if (cursor is null)
        {
            Throw($"offsets for partition {partition} of '{topic}' in group '{group.GroupId}' cannot be added: {refusal}");
        }

        AddOffset(cursor, state, owner!, nextOffset);
    }

    /// <summary>
    /// Commits: the transaction's offsets move, and its events become visible to read-committed readers (each partition's
    /// last stable offset moves past them). Nothing of it takes effect when this throws.
    /// </summary>
    /// <exception cref="TransactionAbortedException">The transaction was aborted instead: it timed out, or the group fenced
    /// a member whose offsets it carries (KIP-447).</exception>
    /// <exception cref="TransactionException">No transaction is open.</exception>
    /// <exception cref="ProducerFencedException">The publisher was fenced; its transaction was aborted.</exception>
    public void Commit()
    {
        ThrowIfDrivenByMember(nameof(Commit));
        if (!TryCommitCore())
        {
            ThrowForEndedTransaction();
        }
    }

    /// <summary>
    /// Aborts the open transaction: its events are marked aborted (read-committed readers step over them), its offsets are
    /// dropped. After the coordinator aborted a transaction, acknowledges it. Does nothing when no transaction is open.
    /// </summary>
    /// <exception cref="ProducerFencedException">The publisher was fenced (its transaction was aborted already).</exception>
    public void Abort()
    {
        ThrowIfDrivenByMember(nameof(Abort));
        if (!AbortCore())
        {
            ThrowForEndedTransaction();
        }
    }

    /// <summary>Aborts an open transaction and retires the publisher (and its transactional id, if it is the current instance).</summary>
    public void Dispose()
    {
        if (State is TransactionState.Open or TransactionState.Aborted)
        {
            AbortCore();
        }

        lock (_completion)
        {
            // The owner's own call: nothing else moves the state from Ready, Aborted or Fenced but a fence (under this lock).
            _fencedReason ??= "the publisher was disposed";
            Volatile.Write(ref _stateWord, (Volatile.Read(ref _stateWord) & ~StateMask) | (long)TransactionState.Closed);
        }

        _coordinator.Retire(this);
    }

    /// <inheritdoc/>
    public override string ToString() => $"TransactionalPublisher '{TransactionalId}' (epoch {Epoch}, {State})";

    // ------------------------------------------------------------------ the owner's transitions

    internal void BeginCore()
    {
        long word = Volatile.Read(ref _stateWord);
        if ((word & StateMask) != (long)TransactionState.Ready)
        {
            ThrowForState("begin a transaction");
        }

        // Plain stores before the CAS (a full fence, so a release): the coordinator reads the state word, then these.
        _openedAt = Stopwatch.GetTimestamp();
        _endReason = null;
        long open = (word & ~StateMask) + SequenceUnit | OpenState;
        if (Interlocked.CompareExchange(ref _stateWord, open, word) != word)
        {
            // Fenced meanwhile.
            ThrowForState("begin a transaction");
        }
    }

    /// <summary>Commits; false when the transaction was aborted instead (by the coordinator, or here, for a fenced member's offsets).</summary>
    internal bool TryCommitCore()
    {
        long word = Volatile.Read(ref _stateWord);
        if ((word & StateMask) != OpenState)
        {
            // The coordinator's abort, if one runs, completes under the completion lock: then the state is final.
            lock (_completion)
            {
                if (State is TransactionState.Aborted or TransactionState.Fenced)
                {
                    return false;
                }
            }

            ThrowForState("commit");
        }

        // Before the decision: a transaction over several durable parts needs its commit record's number (and may be refused).
        string? refusal = DurableCommits.Prepare(
            _touched, _touchedCount, _offsetPartitions, _offsetValues, _offsetCount, out (HotPath.Durability.JournalProgress Journal, HotPath.Durability.TransactionPart Part)[]? durable);
        bool decided = false;
        int locked = 0;
        SortOffsetsById();
        try
        {
            // The fork locks, in cursor id order: no fence and no release of ownership can come between the checks below
            // and the offsets' commit.
            for (; locked < _offsetCount; locked++)
            {
                Monitor.Enter(_offsetCursors[locked]!.ForkLock);
            }

            for (int i = 0; i < _offsetCount && refusal is null; i++)
            {
                refusal = OffsetRefusal(_offsetCursors[i]!, _offsetPartitions[i], _offsetOwners[i]);
            }

            // Full fence (CAS): the decision. A coordinator's abort CASes from Open too: exactly one of them wins.
            if (refusal is null && Interlocked.CompareExchange(ref _stateWord, WithState(word, TransactionState.Committing), word) == word)
            {
                decided = true;
                DurableCommits.Hold(durable);
                for (int i = 0; i < _offsetCount; i++)
                {
                    // Cannot fail (not fenced, checked above, and a fence needs the lock we hold) and never throws.
                    bool committed = _offsetCursors[i]!.TryCommitTransactional(_offsetValues[i]);
                    Debug.Assert(committed, "a transaction's offsets commit once it decided");
                }
            }
        }
        finally
        {
            while (locked > 0)
            {
                Monitor.Exit(_offsetCursors[--locked]!.ForkLock);
            }

            if (decided)
            {
                // Before the entries close: a journaller that sees the last stable offset pass a part finds it registered.
                DurableCommits.Register(durable);

                // Once decided, the transaction ends whatever happens: its entries close, so no last stable offset stays.
                lock (_completion)
                {
                    CleanUpLocked(aborted: false);
                    EndLocked(word);
                }
            }
        }

        if (refusal is not null)
        {
            AbortCore(refusal);
            return false;
        }

        // Not decided: the coordinator aborted it first.
        return decided;
    }

    /// <summary>
    /// Aborts the open transaction, or acknowledges the coordinator's abort; false when the publisher is fenced (closed
    /// counts as fenced). <paramref name="reason"/>, when given, is what a later exception reports.
    /// </summary>
    internal bool AbortCore(string? reason = null)
    {
        long word = Volatile.Read(ref _stateWord);
        bool ours = (word & StateMask) == OpenState
            && Interlocked.CompareExchange(ref _stateWord, WithState(word, TransactionState.Aborting), word) == word;
        lock (_completion)
        {
            // Under the lock a coordinator's abort is complete (it holds the lock from its CAS to its final state).
            word = Volatile.Read(ref _stateWord);
            TransactionState state = (TransactionState)(word & StateMask);
            if (!ours)
            {
                switch (state)
                {
                    case TransactionState.Ready:
                        return true;
                    case TransactionState.Fenced or TransactionState.Closed:
                        // Whatever the owner recorded after the coordinator's cleanup.
                        CleanUpLocked(aborted: true);
                        return false;
                    case TransactionState.Aborted:
                        break;
                    default:
                        // Open again, Committing or Aborting: another thread uses this publisher.
                        ThrowForState("abort");
                        break;
                }
            }

            // Our own abort (all of it), or what was recorded after the coordinator's cleanup.
            CleanUpLocked(aborted: true);
            _endReason = reason ?? _endReason;
            EndLocked(word);
        }

        return true;
    }

    /// <summary>
    /// Aborts the open transaction from another thread (the coordinator: a time-out, a newer epoch; the group: a failed
    /// member). With <paramref name="fence"/>, also fences the publisher, whatever its state. When
    /// <paramref name="expectedWord"/> is not null, only that transaction is aborted (the coordinator's time-out check).
    /// True when this call ended a transaction or fenced the publisher.
    /// </summary>
    internal bool AbortFromOutside(string reason, bool fence, long? expectedWord = null)
    {
        lock (_completion)
        {
            if (fence)
            {
                // Read by the owner's completions (under this lock), which then end in Fenced.
                _fencedReason ??= reason;
            }

            while (true)
            {
                long word = Volatile.Read(ref _stateWord);
                if (expectedWord is long expected && word != expected)
                {
                    return false;
                }

                TransactionState state = (TransactionState)(word & StateMask);
                if (state == TransactionState.Open)
                {
                    // Full fence (CAS), then the slow side of the asymmetric Dekker: after the process-wide barrier, every
                    // record the owner made before it last read Open is visible here (see the type's remarks).
                    if (Interlocked.CompareExchange(ref _stateWord, WithState(word, TransactionState.Aborting), word) != word)
                    {
                        continue;
                    }

                    Interlocked.MemoryBarrierProcessWide();
                    CleanUpLocked(aborted: true);
                    _endReason = reason;
                    // Release: the cleanup is done before the owner can see the final state.
                    Volatile.Write(ref _stateWord, WithState(word, fence ? TransactionState.Fenced : TransactionState.Aborted));
                    return true;
                }

                if (!fence || state is TransactionState.Fenced or TransactionState.Closed)
                {
                    return false;
                }

                if (state is TransactionState.Committing or TransactionState.Aborting)
                {
                    // The owner is ending its transaction; it ends in Fenced (it reads _fencedReason under this lock).
                    return true;
                }

                // Ready or Aborted: CAS, because the owner's Begin may open a transaction meanwhile.
                if (Interlocked.CompareExchange(ref _stateWord, WithState(word, TransactionState.Fenced), word) == word)
                {
                    return true;
                }
            }
        }
    }

    /// <summary>Marks the publisher as driven by a consumer-group member: its handler may publish, the member begins and commits.</summary>
    internal void DriveByMember(string member) => _memberOwner = member;

    /// <summary>
    /// Adds (or replaces) a cursor's offset in the open transaction; at commit, <paramref name="partition"/> must still be
    /// owned by <paramref name="owner"/>. On the owner's (reading) thread: the range check reads its position.
    /// </summary>
    internal void AddOffset(ITransactionalCursor cursor, IOwnedPartition partition, object owner, long nextOffset)
    {
        long committed = cursor.Committed;
        long limit = cursor.CommitLimit;
        if (nextOffset < committed || nextOffset > limit)
        {
            ThrowHelper.ArgumentOutOfRange(
                nameof(nextOffset), $"must be between the committed offset {committed} and the position {limit} of {cursor.Describe()}", nextOffset);
        }

        for (int i = 0; i < _offsetCount; i++)
        {
            if (ReferenceEquals(_offsetCursors[i], cursor))
            {
                _offsetValues[i] = nextOffset;
                return;
            }
        }

        if (_offsetCount == _offsetCursors.Length)
        {
            Array.Resize(ref _offsetCursors, _offsetCount * 2);
            Array.Resize(ref _offsetPartitions, _offsetCount * 2);
            Array.Resize(ref _offsetOwners, _offsetCount * 2);
            Array.Resize(ref _offsetValues, _offsetCount * 2);
        }

        _offsetCursors[_offsetCount] = cursor;
        _offsetPartitions[_offsetCount] = partition;
        _offsetOwners[_offsetCount] = owner;
        _offsetValues[_offsetCount++] = nextOffset;
    }

    // ------------------------------------------------------------------ helpers

    private static long WithState(long word, TransactionState state) => (word & ~StateMask) | (long)state;

    /// <summary>Why <paramref name="cursor"/>'s offset cannot be committed now, or null. Under its fork lock.</summary>
    private static string? OffsetRefusal(ITransactionalCursor cursor, IOwnedPartition? partition, object? owner)
    {
        if (cursor.IsFenced || (partition is not null && !partition.IsOwnedBy(owner!)))
        {
            return $"the member no longer owns {cursor.Describe()} (a rebalance or the session watchdog moved the partition): its offsets cannot be committed (KIP-447)";
        }

        return null;
    }

    /// <summary>Sorts the carried offsets by cursor id (insertion sort: a handful at most), the order the fork locks are taken in.</summary>
    private void SortOffsetsById()
    {
        for (int i = 1; i < _offsetCount; i++)
        {
            for (int j = i; j > 0 && _offsetCursors[j - 1]!.Id > _offsetCursors[j]!.Id; j--)
            {
                (_offsetCursors[j - 1], _offsetCursors[j]) = (_offsetCursors[j], _offsetCursors[j - 1]);
                (_offsetPartitions[j - 1], _offsetPartitions[j]) = (_offsetPartitions[j], _offsetPartitions[j - 1]);
                (_offsetOwners[j - 1], _offsetOwners[j]) = (_offsetOwners[j], _offsetOwners[j - 1]);
                (_offsetValues[j - 1], _offsetValues[j]) = (_offsetValues[j], _offsetValues[j - 1]);
            }
        }
    }

    /// <summary>Ends the transaction: Ready, or Fenced when a fence came meanwhile. Under the completion lock.</summary>
    private void EndLocked(long word)
    {
        ResetLocked();
        // Release: the cleanup is done before the next Begin (or a coordinator) sees the state.
        Volatile.Write(ref _stateWord, WithState(word, _fencedReason is null ? TransactionState.Ready : TransactionState.Fenced));
    }

    /// <summary>Marks the recorded ranges aborted (if <paramref name="aborted"/>) and closes the partition entries. Under the lock.</summary>
    private void CleanUpLocked(bool aborted)
    {
        // Acquire: the count, then the array written before it (see WritesForSlow).
        int count = Volatile.Read(ref _touchedCount);
        TransactionWrites[] touched = Volatile.Read(ref _touched);
        for (int i = 0; i < count; i++)
        {
            if (aborted)
            {
                touched[i].RecordAbortedLocked();
            }

            touched[i].CloseLocked(this);
        }
    }

    private void ResetLocked()
    {
        int count = _touchedCount;
        for (int i = 0; i < count; i++)
        {
            _touched[i].Reset();
        }

        Volatile.Write(ref _touchedCount, 0);
        Array.Clear(_offsetCursors, 0, _offsetCount);
        Array.Clear(_offsetPartitions, 0, _offsetCount);
        Array.Clear(_offsetOwners, 0, _offsetCount);
        _offsetCount = 0;
        _openedAt = 0;
    }

    private void ThrowIfDrivenByMember(string operation)
    {
        if (_memberOwner is not null)
        {
            Throw($"{operation} is not allowed: this publisher belongs to {_memberOwner}, which begins and commits its transactions around each batch; publish from the handler only");
        }
    }

    private void ThrowUnlessOpen(string operation)
    {
        if ((Volatile.Read(ref _stateWord) & StateMask) != OpenState)
        {
            ThrowForState(operation);
        }
    }

    /// <summary>Throws what the current state says about <paramref name="operation"/>.</summary>
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowForState(string operation)
    {
        // A coordinator's abort holds the completion lock from its CAS to its final state: report that state, not the
        // Aborting in between.
        TransactionState state;
        lock (_completion)
        {
            state = State;
        }

        switch (state)
        {
            case TransactionState.Ready:
                Throw($"cannot {operation}: no transaction is open; call Begin() first (a transactional publisher publishes only inside a transaction)");
                break;
            case TransactionState.Open:
                Throw($"cannot {operation}: a transaction is open already; commit or abort it first");
                break;
            case TransactionState.Aborted:
                throw new TransactionAbortedException(TransactionalId, Epoch, state, $"{_endReason}; call Abort() to acknowledge it before the next Begin()");
            case TransactionState.Fenced:
                throw new ProducerFencedException(TransactionalId, Epoch, _fencedReason ?? "fenced");
            case TransactionState.Closed:
                throw new ObjectDisposedException(nameof(TransactionalPublisher), $"transactional id '{TransactionalId}' (epoch {Epoch}): the publisher was disposed");
            default:
                Throw($"cannot {operation}: the transaction is {state} on another call; a publisher is used by one thread at a time");
                break;
        }
    }

    /// <summary>After a commit or abort that could not end the transaction as asked: why.</summary>
    [DoesNotReturn]
    private void ThrowForEndedTransaction()
    {
        TransactionState state;
        lock (_completion)
        {
            state = State;
        }

        if (state is TransactionState.Fenced or TransactionState.Closed or TransactionState.Aborted)
        {
            ThrowForState("commit");
        }

        throw new TransactionAbortedException(TransactionalId, Epoch, state, _endReason ?? "aborted");
    }

    [DoesNotReturn]
    private void Throw(string message) => throw new TransactionException(TransactionalId, Epoch, State, message);
}
