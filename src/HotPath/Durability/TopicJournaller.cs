using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Internal;
using HotPath.Partitions;
using HotPath.Workers;

namespace HotPath.Durability;

/// <summary>
/// The journaller of one durable topic: a dedicated thread that reads every partition like a lossless reader (its
/// sequence gates the writers, so no slot is reused before its event is in the journal), appends what was published to
/// the partition's journal in batches, flushes and syncs per the <see cref="SyncPolicy"/>, then acknowledges (writers may
/// wait for that, journaled-only groups read up to it). It also persists the committed offsets of the topic's durable
/// groups and applies retention.
/// </summary>
/// <remarks>
/// <para><b>Transactions.</b> The journaller reads like a read-committed group: it journals nothing at or past a
/// partition's last stable offset (the first offset of its oldest open transaction) and writes the offsets of aborted
/// transactions as gaps. The journal therefore holds only decided events, so after a crash no reader can see what was
/// aborted or still open, and a transaction left open by the crash is aborted by construction (its offsets were never
/// journaled; the partition continues at the journal's end). The price: events published after an open transaction's
/// first offset are acknowledged only once it commits or aborts (at most its time-out).</para>
/// <para><b>Design.</b> The thread owns the journals' appends, the cursors and <see cref="_persisted"/>. Order per round:
/// append, flush, sync (per policy), commit the cursor to what was flushed (the ring slots may be reused: their events
/// are in the operating system's hands), acknowledge (release, see <see cref="JournalProgress.Acknowledge"/>). A group's
/// committed offset is persisted at most up to the acknowledged end, so after a crash no stored offset points past
/// what the journal kept; the offsets of a round are one record of the offset store (all or nothing).</para>
/// <para><b>Failures.</b> An I/O error stops the journaller: every partition's <see cref="JournalProgress.Fault"/> is set,
/// waits for acknowledgement throw it, nothing more is acknowledged, and the writers are held by the ring (nothing
/// acknowledged is lost; nothing unjournaled is handed to journaled-only groups).</para>
/// <para>Thread-safety: <see cref="RegisterGroup"/>, <see cref="UnregisterGroup"/> and <see cref="Stop"/> from any thread;
/// everything else on the journaller thread.</para>
/// </remarks>
/// <typeparam name="T">The event type.</typeparam>
internal sealed partial class TopicJournaller<T> : IDisposable
    where T : struct
{
    private const int SpinsBeforePark = 64;
    private const int OffsetPersistMilliseconds = 10;
    private const int RetentionCheckMilliseconds = 1000;
    private const int ChunkFlushRingChunks = 4;

    private readonly string _topicName;
    private readonly Partition<T>[] _partitions;
    private readonly ReadCursor<T>[] _cursors;
    private readonly DurabilityOptions _options;
    private readonly OffsetStore _offsets;
    private readonly Parker _parker = new();
    private readonly Thread _thread;

    // Completed when the thread's Run ends, having journaled, synced and persisted what it had to: what StopAsync returns.
    private readonly TaskCompletionSource _threadEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _groupsLock = new();
    private readonly Dictionary<(string GroupId, int Partition), long> _persisted = [];
    private readonly List<OffsetEntry> _pendingOffsets = [];
    private readonly long[] _unsynced;
    private readonly Dictionary<(string GroupId, int Partition), long> _departed = [];
    private List<(string GroupId, IDurableCursor[] Cursors)> _groups = [];
    private long _lastSync;
    private long _lastOffsetPersist;
    private long _lastRetention;
    private int _stopping;

    /// <summary>
    /// True when a ring holds at least <see cref="ChunkFlushRingChunks"/> chunks of events: a journaller that is behind
    /// then writes whole chunks only (<see cref="PartitionJournal.FlushChunks"/>). With a smaller ring the slots it keeps
    /// gated until the rest is written would hold the writers back more than aligned writes save.
    /// </summary>
    private readonly bool _chunkFlushes;
    private bool _offsetsUnsynced;
    private Exception? _fault;

    /// <param name="topicName">The topic.</param>
    /// <param name="partitions">Its partitions, durable.</param>
    /// <param name="options">Its durability options.</param>
    /// <param name="offsets">Its offset store.</param>
    /// <param name="stored">The groups' stored offsets: the store's, and newer ones committed by transactions.</param>
    public TopicJournaller(string topicName, Partition<T>[] partitions, DurabilityOptions options, OffsetStore offsets, IReadOnlyDictionary<(string GroupId, int Partition), long> stored)
    {
        _topicName = topicName;
        _partitions = partitions;
        _options = options;
        _offsets = offsets;
        _unsynced = new long[partitions.Length];
        _parts = new List<TransactionPart>[partitions.Length];
        foreach (KeyValuePair<(string GroupId, int Partition), long> pair in stored)
        {
            _persisted[pair.Key] = pair.Value;
        }

        _cursors = new ReadCursor<T>[partitions.Length];
        for (int i = 0; i < partitions.Length; i++)
        {
            // Registered before any writer can publish (the topic is not built yet): the journaller starts at the end.
            // Read-committed: it stops at the last stable offset and steps over aborted offsets, which it journals as gaps,
            // so the journal holds only decided events: after a crash nothing aborted or left open can be read.
            _cursors[i] = new ReadCursor<T>(partitions[i], OffsetReset.Latest, partitions[i].EndOffset, readCommitted: true);
            partitions[i].AddReaderParker(_parker);
            _parts[i] = [];
            partitions[i].Journal!.JournallerWake = _parker.Unpark;
        }

        _chunkFlushes = partitions.Length > 0
            && (long)partitions[0].Capacity * partitions[0].Journal!.Journal.EventSize >= ChunkFlushRingChunks * (long)partitions[0].Journal!.Journal.ChunkBytes;
        _lastSync = _lastOffsetPersist = _lastRetention = Stopwatch.GetTimestamp();
        _thread = new Thread(Run) { IsBackground = true, Name = $"hotpath-journal-{topicName}" };
        if (!options.JournallerDrivenByTest)
        {
            _thread.Start();
        }
    }

    /// <summary>The journaller's failure, or null. Any thread: acquire, pairs with the release in <see cref="Fail"/>.</summary>
    public Exception? Fault => Volatile.Read(ref _fault);

    /// <summary>
    /// Where <paramref name="groupId"/> resumes on <paramref name="partition"/>: the last committed offset of a group with
    /// that id that left in this process (it may not be persisted yet), else the stored one; false when there is none.
    /// </summary>
    public bool TryGetStored(string groupId, int partition, out long offset)
    {
        lock (_groupsLock)
        {
            return _departed.TryGetValue((groupId, partition), out offset) || _persisted.TryGetValue((groupId, partition), out offset);
        }
    }

    /// <summary>Adds a group whose committed offsets the journaller persists from now on.</summary>
    public void RegisterGroup(string groupId, IDurableCursor[] cursors)
    {
        lock (_groupsLock)
        {
            // The new group resumed where a departed one of the same id committed (TryGetStored): its offsets take over.
            foreach (IDurableCursor cursor in cursors)
            {
                _departed.Remove((groupId, cursor.Id.Partition));
            }

            _groups = [.. _groups, (groupId, cursors)];
        }
    }

    /// <summary>
    /// Removes a group (it is closing). Its last committed offsets stay pending until the journal acknowledged up to them
    /// (never stored past the acknowledged end), and are persisted then, at the latest when the topic closes.
    /// </summary>
    public void UnregisterGroup(string groupId)
    {
        lock (_groupsLock)
        {
            List<(string GroupId, IDurableCursor[] Cursors)> groups = _groups;
            int index = groups.FindIndex(g => g.GroupId == groupId);
            if (index < 0)
            {
                return;
            }

            foreach (IDurableCursor cursor in groups[index].Cursors)
            {
                _departed[(groupId, cursor.Id.Partition)] = cursor.Committed;
            }

            _groups = groups.Where((_, i) => i != index).ToList();
        }

        _parker.Unpark();
    }

    /// <summary>
    /// Deletes the stored offsets of <paramref name="groupId"/>, which must not be live on this topic: tombstones in the
    /// offsets log (and in the transaction log, for offsets transactions committed), forced to stable storage. Returns
    /// the partitions it had offsets for, ascending.
    /// </summary>
    public IReadOnlyList<int> DeleteStoredOffsets(string groupId, TransactionLog? transactions)
    {
        var partitions = new SortedSet<int>();
        lock (_groupsLock)
        {
            if (_groups.Exists(g => g.GroupId == groupId))
            {
                ThrowHelper.InvalidOperation($"group '{groupId}' is live on topic '{_topicName}': dispose it before deleting its stored offsets");
            }

            foreach ((string GroupId, int Partition) key in _persisted.Keys.Concat(_departed.Keys).ToList())
            {
                if (key.GroupId == groupId)
                {
                    partitions.Add(key.Partition);
                    _persisted.Remove(key);
                    _departed.Remove(key);
                }
            }

            foreach (int partition in transactions?.DeleteOffsets(_topicName, groupId) ?? [])
            {
                partitions.Add(partition);
            }

            if (partitions.Count > 0)
            {
                _offsets.Append([.. partitions.Select(p => new OffsetEntry(groupId, p, OffsetEntry.Deleted))]);
                _offsets.Sync();
            }
        }

        return [.. partitions];
    }

    /// <summary>
    /// A live group moved its committed offset on <paramref name="partition"/> back to <paramref name="offset"/> (a seek).
    /// When the transaction log holds a larger offset for it (committed by a transaction), that one would win at the next
    /// open (the stored offset is the larger of the two logs'): the sought offset is stored in the offsets log, forced,
    /// and only then the transaction log's offset deleted, so that at any crash in between the group resumes at one of
    /// the two and the one it committed last once both are written.
    /// </summary>
    public void StoreSoughtOffset(string groupId, int partition, long offset, TransactionLog? transactions)
    {
        if (transactions is null || !transactions.OffsetsOf(_topicName).Any(o => o.GroupId == groupId && o.Partition == partition && o.Offset > offset))
        {
            // The offsets log alone decides: the journaller persists the sought offset with the group's next commits.
            return;
        }

        lock (_groupsLock)
        {
            // Below the transaction's offset, whose input was acknowledged before its commit record: never past the
            // acknowledged end.
            _offsets.Append([new OffsetEntry(groupId, partition, offset)]);
            _offsets.Sync();
            _persisted[(groupId, partition)] = offset;
            transactions.DeleteOffsetAbove(_topicName, groupId, partition, offset);
        }
    }

    /// <summary>Journals everything published so far, persists the groups' offsets, then ends the thread. Idempotent.</summary>
    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopping, 1) == 0)
        {
            if (_options.JournallerDrivenByTest)
            {
                StopOnCallerForTest();
                return;
            }

            _parker.Unpark();
            _thread.Join();
        }
    }

    /// <summary>
    /// <see cref="Stop"/> without blocking: asks the thread to stop and returns a task that completes once it ended (every
    /// call returns the same task, also after <see cref="Stop"/>). A journaller driven by a test finishes on the caller.
    /// </summary>
    public Task StopAsync()
    {
        if (_options.JournallerDrivenByTest)
        {
            Stop();
            return Task.CompletedTask;
        }

        if (Interlocked.Exchange(ref _stopping, 1) == 0)
        {
            _parker.Unpark();
        }

        return _threadEnded.Task;
    }

    /// <inheritdoc/>
    public void Dispose() => Stop();

    private void Run()
    {
        if (_options.JournallerCpu is int cpu)
        {
            // A failed pin is not fatal: the thread runs unpinned (the error shows in the journaller's name only).
            _ = CpuAffinity.TryPinCurrentThread(cpu, out _);
        }

        try
        {
            int idle = 0;
            while (true)
            {
                bool stopping = Volatile.Read(ref _stopping) != 0;
                bool progressed = JournalRound();
                long now = Stopwatch.GetTimestamp();
                if (_options.Sync == SyncPolicy.Interval && Elapsed(_lastSync, now) >= _options.SyncInterval.TotalMilliseconds)
                {
                    SyncAll();
                    _lastSync = now;
                }

                // Once when the journaller falls idle, then every persistence interval (not on each idle spin).
                if ((!progressed && idle == 0) || Elapsed(_lastOffsetPersist, now) >= OffsetPersistMilliseconds)
                {
                    lock (_groupsLock)
                    {
                        PersistOffsetsLocked(_groups);
                    }

                    _lastOffsetPersist = now;
                }

                if (Elapsed(_lastRetention, now) >= RetentionCheckMilliseconds)
                {
                    ApplyRetention();
                    _lastRetention = now;
                }

                if (progressed)
                {
                    idle = 0;
                    continue;
                }

                if (stopping)
                {
                    break;
                }

                if (++idle < SpinsBeforePark)
                {
                    Thread.Yield();
                    continue;
                }

                Park();
            }

            Finish();
        }
        catch (Exception e)
        {
            // Any failure (the disk's, or a journal refusing a write) stops the journal visibly; the thread must not die
            // with an unhandled exception, which would end the process.
            Fail(e);
        }
        finally
        {
            _threadEnded.TrySetResult();
        }
    }

    /// <summary>The thread's last work once everything was journaled: syncs, settles the transactions, persists the offsets.</summary>
    private void Finish()
    {
        SyncAll();
        FinishTransactions();
        lock (_groupsLock)
        {
            PersistOffsetsLocked(_groups);
        }

        _offsets.Sync();
    }

    /// <summary>One round over the partitions: append, flush, sync (per policy), commit, acknowledge. True when it journaled anything.</summary>
    private bool JournalRound()
    {
        bool progressed = false;
        long timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (int i = 0; i < _partitions.Length; i++)
        {
            ReadCursor<T> cursor = _cursors[i];
            PartitionJournal journal = _partitions[i].Journal!.Journal;
            (int max, long transaction) = PlanDispatch(i);
            var appender = new JournalAppender<T>(journal, timestamp, transaction, _partitions[i].Slots, _partitions[i].PinnedSlotsAddress);
            int count = max > 0 ? cursor.DispatchBatch(ref appender, max) : 0;
            bool dispatched = count != 0;
            if (dispatched)
            {
                // Gaps at the end of what was dispatched: the cursor stepped over them, the journal records them.
                JournalAppender<T>.AppendGapTo(journal, cursor.Position, timestamp);
                if (count == _options.MaxBatch && _chunkFlushes && _options.Sync != SyncPolicy.EveryBatch)
                {
                    // Behind (a full batch, the next one follows at once): whole aligned chunks only, the rest next round.
                    journal.FlushChunks();
                }
                else
                {
                    journal.Flush();
                }

                if (_options.Sync == SyncPolicy.EveryBatch)
                {
                    journal.Sync();
                }

                _unsynced[i] = _options.Sync == SyncPolicy.EveryBatch ? 0 : 1;
            }
            else if (journal.HasUnwritten)
            {
                // Caught up: what the last round held back is written now, never left behind while the journaller idles.
                journal.Flush();
                dispatched = true;
            }

            long flushedEnd = journal.FlushedEnd;
            if (flushedEnd > cursor.Committed)
            {
                // The events below the flushed end are in the operating system's hands: their slots may be reused. Not
                // past it: a reader that starts below the ring reads the journal up to the ring's bound, the lowest gating
                // sequence, this one among them (Partition.RingBoundLocked); and the events of a frame not yet written
                // whole may still be staged in place, read from their slots by the next write. Never fenced: nobody forks
                // it. Whoever wrote the bytes (this round, or the last round's interval sync or transaction settling,
                // which write a tail a chunk flush held back), the next round commits them.
                cursor.TryCommit(flushedEnd);
            }

            bool settled = _options.Sync != SyncPolicy.Interval && SettleTransactions(i, timestamp);
            if ((dispatched || settled) && _options.Sync != SyncPolicy.Interval)
            {
                _partitions[i].Acknowledge(CapAcknowledged(i, DurableEnd(journal)));
            }

            progressed |= dispatched || settled;
        }

        return progressed;
    }

    /// <summary>Syncs what was journaled since the last sync (nothing when idle), acknowledges it, and syncs the offsets.</summary>
    private void SyncAll()
    {
        long timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (int i = 0; i < _partitions.Length; i++)
        {
            PartitionJournal journal = _partitions[i].Journal!.Journal;
            bool synced = _unsynced[i] != 0;
            if (synced)
            {
                journal.Sync();
                _unsynced[i] = 0;
            }

            // Interval: the parts synced now are durable (the commit record may follow), end markers synced now resolve.
            bool settled = _options.Sync == SyncPolicy.Interval && SettleTransactions(i, timestamp);
            if (synced || settled)
            {
                _partitions[i].Acknowledge(CapAcknowledged(i, DurableEnd(journal)));
            }
        }

        if (_offsetsUnsynced)
        {
            _offsets.Sync();
            _offsetsUnsynced = false;
        }
    }

    /// <summary>
    /// Persists, as one record, every group offset that moved since it was last persisted: the live groups' and the
    /// departed ones' (dropped once persisted whole). Caller holds the lock.
    /// </summary>
    private void PersistOffsetsLocked(List<(string GroupId, IDurableCursor[] Cursors)> groups)
    {
        _pendingOffsets.Clear();
        foreach ((string groupId, IDurableCursor[] cursors) in groups)
        {
            foreach (IDurableCursor cursor in cursors)
            {
                AddPending(groupId, cursor.Id.Partition, cursor.Committed);
            }
        }

        foreach (KeyValuePair<(string GroupId, int Partition), long> departed in _departed)
        {
            if (AddPending(departed.Key.GroupId, departed.Key.Partition, departed.Value))
            {
                _departed.Remove(departed.Key);
            }
        }

        if (_pendingOffsets.Count == 0)
        {
            return;
        }

        _offsets.Append(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pendingOffsets));
        _offsets.Flush();
        if (_options.Sync == SyncPolicy.EveryBatch)
        {
            _offsets.Sync();
        }
        else
        {
            _offsetsUnsynced = true;
        }
    }

    /// <summary>Queues the offset to persist, clamped to the acknowledged end; true when the whole offset is persisted.</summary>
    private bool AddPending(string groupId, int partition, long committed)
    {
        // Never past the acknowledged end: after a crash the journal keeps at least that much. Never past a transaction's
        // offset whose commit record is not durable (the floor, read after the committed offset: see OffsetHolds).
        JournalProgress journal = _partitions[partition].Journal!;
        long offset = Math.Min(Math.Min(committed, journal.Acknowledged), journal.PersistableFloor(groupId));
        if (offset >= 0 && !(_persisted.TryGetValue((groupId, partition), out long stored) && stored == offset))
        {
            _persisted[(groupId, partition)] = offset;
            _pendingOffsets.Add(new OffsetEntry(groupId, partition, offset));
        }

        return offset == committed;
    }

    private void ApplyRetention()
    {
        if (_options.RetentionBytes is null && _options.RetentionTime is null)
        {
            return;
        }

        for (int i = 0; i < _partitions.Length; i++)
        {
            long keepFrom = long.MaxValue;
            lock (_groupsLock)
            {
                foreach (KeyValuePair<(string GroupId, int Partition), long> stored in _persisted)
                {
                    if (stored.Key.Partition == i)
                    {
                        keepFrom = Math.Min(keepFrom, stored.Value);
                    }
                }
            }

            _partitions[i].RetainJournal(keepFrom, _options.RetentionBytes, _options.RetentionTime);
        }
    }

    private void Park()
    {
        // The member workers' protocol (MemberWorker.ParkOnPartitions): announce, raise every partition's wake flag
        // (process-wide barrier), re-check, park. A publish our re-check misses sees a flag and unparks us.
        _parker.BeginParking();
        try
        {
            foreach (Partition<T> partition in _partitions)
            {
                partition.EnterReaderPark();
            }

            bool ready = Volatile.Read(ref _stopping) != 0;
            for (int i = 0; i < _cursors.Length && !ready; i++)
            {
                ready = _cursors[i].Available() >= _cursors[i].Position || HasTransactionWork(i);
            }

            if (!ready)
            {
                // Wake for the next interval sync and the offsets' persistence even without a publish.
                int timeout = _options.Sync == SyncPolicy.Interval
                    ? (int)Math.Clamp(_options.SyncInterval.TotalMilliseconds, 1, OffsetPersistMilliseconds)
                    : OffsetPersistMilliseconds;
                _parker.Park(timeout);
            }
        }
        finally
        {
            _parker.EndParking();
        }
    }

    private void Fail(Exception e)
    {
        // The file that failed when the journal or the offsets store named it, else the topic's first partition.
        var fault = new JournalException(
            (e as JournalException)?.Path ?? _partitions[0].Journal!.Journal.Directory,
            $"the journal of topic '{_topicName}' failed and stopped: {e.Message}. Acknowledged events are kept; nothing more is acknowledged until the topic is reopened",
            e);
        // Release: the exception is built before another thread reads the reference (pairs with Fault's acquire read).
        Volatile.Write(ref _fault, fault);
        foreach (Partition<T> partition in _partitions)
        {
            partition.FailJournal(fault);
        }
    }

    private static double Elapsed(long since, long now) => (now - since) * 1000.0 / Stopwatch.Frequency;
}
