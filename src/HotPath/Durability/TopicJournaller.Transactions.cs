namespace HotPath.Durability;

/// <content>
/// Transactions over several durable parts: each part's offsets are journaled as tagged batches, the part is reported
/// durable, the commit record follows (<see cref="DurableCommit"/>), then the part gets its end marker and the
/// acknowledged end may pass it. A transaction that consumed this partition (consume-transform-produce) has an input
/// wait here instead: reported once the journal holds its input durably, so that its record never precedes its input.
/// </content>
/// <remarks>
/// <para><b>Why.</b> The journaller journals only decided events, partition by partition: without a record over all
/// parts, a crash between two partitions' writes would keep a committed transaction in one and not the other. Now a
/// part's events are tagged with the transaction's number; recovery keeps them only when the transaction log says the
/// transaction committed (or an end marker follows them), else they read as gaps in every part alike.</para>
/// <para><b>Acknowledgement.</b> Offsets from a part's first one on are acknowledged only once its commit record is
/// durable (<see cref="CapAcknowledged"/>): an acknowledged transaction is whole after any crash. Events published after
/// it wait with it (the acknowledged end is a prefix).</para>
/// <para><b>Rolls.</b> While a tagged batch lacks its end marker the journal rolls at most once (it tracks that itself,
/// see <c>PartitionJournal.HoldRoll</c>): such a batch is always in the last two segments, which recovery scans whole.</para>
/// </remarks>
internal sealed partial class TopicJournaller<T>
{
    private static readonly TimeSpan FinishTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Per partition, the transaction parts registered and not yet given their end marker, by first offset.</summary>
    private readonly List<TransactionPart>[] _parts;

    /// <summary>The topic is closing: lost commits are dropped, not a failure (see <see cref="FinishTransactions"/>).</summary>
    private bool _finishing;

    /// <summary>Interval policy: end markers written, resolved once a sync forced them.</summary>
    private readonly List<(TransactionPart Part, int Partition)> _endsAwaitingSync = [];

    /// <summary>
    /// How much partition <paramref name="i"/>'s next dispatch may take, and the transaction to tag it with (0: none):
    /// a dispatch never crosses into or out of a transaction's range.
    /// </summary>
    private (int Max, long Transaction) PlanDispatch(int i)
    {
        List<TransactionPart> parts = _parts[i];
        // The last stable offset was read by the previous dispatch's availability check or is read by the next one; the
        // registrations are drained after it, so a part whose offsets became readable is always known here (see
        // JournalProgress.RegisterTransactionPart). Offsets readable only after this drain are dispatched next round.
        // The dispatch is capped at the last stable offset read here, before the drain: a transaction whose part is not
        // drained yet is still open in that read, so none of its offsets is below the cap.
        long position = _cursors[i].Position;
        long stable = _partitions[i].LastStableOffset;
        if (_partitions[i].Journal!.DrainTransactionParts(parts))
        {
            // Stable by transaction number among equal keys (input waits all sort last): reported in commit order.
            parts.Sort(static (a, b) => a.First != b.First ? a.First.CompareTo(b.First) : a.Commit.Transaction.CompareTo(b.Commit.Transaction));
        }

        if (stable <= position)
        {
            return (0, 0);
        }

        int max = (int)Math.Min(_options.MaxBatch, stable - position);
        foreach (TransactionPart part in parts)
        {
            if (!part.TryFindRange(position, out long from, out long to))
            {
                continue;
            }

            if (from <= position)
            {
                return ((int)Math.Min(max, to - position + 1), part.Commit.Transaction);
            }

            max = (int)Math.Min(max, from - position);
        }

        return (max, 0);
    }

    /// <summary>
    /// Moves partition <paramref name="i"/>'s transaction parts on: reports the parts now durable (the last report writes
    /// the commit record), writes the end markers of parts whose commit is durable, resolves them. True when it wrote.
    /// </summary>
    private bool SettleTransactions(int i, long timestamp)
    {
        List<TransactionPart> parts = _parts[i];
        bool wrote = ResolveSyncedEnds(i);
        if (parts.Count == 0)
        {
            return wrote;
        }

        PartitionJournal journal = _partitions[i].Journal!.Journal;
        long durableEnd = DurableEnd(journal);
        // An input wait is judged against the acknowledgeable end, not the raw durable one: input that belongs to a
        // transaction whose own record is not durable yet may still be aborted by a crash, and an output derived from it
        // must not commit before it.
        long inputEnd = CapAcknowledged(i, durableEnd);
        foreach (TransactionPart part in parts)
        {
            if (!part.ReportedDurable && part.Last < (part.IsInput ? inputEnd : durableEnd))
            {
                part.ReportedDurable = true;
                // May write the commit record on this thread (a failure throws: the journaller fails visibly).
                part.Commit.PartDurable();
            }
        }

        bool ended = false;
        for (int p = parts.Count - 1; p >= 0; p--)
        {
            TransactionPart part = parts[p];
            if (part.Commit.Failure is Exception failure)
            {
                throw new JournalException(journal.Directory, $"the commit record of transaction {part.Commit.Transaction} could not be written: {failure.Message}", failure);
            }

            if (part.Commit.IsLost && !_finishing)
            {
                // Abandoned: a topic it spans (or an earlier transaction of the same consumer group) closed before every
                // part was durable. Its events here will read as aborted after a restart, so nothing past them can be
                // acknowledged truthfully: the journal stops visibly rather than hold the acknowledgement forever.
                throw new JournalException(
                    journal.Directory,
                    $"transaction {part.Commit.Transaction} spans partition {i} of '{_topicName}' and was abandoned before it was durable (a topic it spans, or an earlier transaction of the same consumer group, closed first); dispose topics that share transactions after their publishers stop");
            }

            if (part.IsInput && part.ReportedDurable)
            {
                // An input wait: reported, nothing to mark here.
                parts.RemoveAt(p);
                continue;
            }

            if (!part.ReportedDurable || !part.Commit.IsDurable)
            {
                // Closing: FinishTransactions drops the lost ones.
                continue;
            }

            journal.AppendTransactionEnd(part.Commit.Transaction, timestamp);
            part.EndWritten = true;
            parts.RemoveAt(p);
            _endsAwaitingSync.Add((part, i));
            ended = true;
        }

        if (ended)
        {
            journal.Flush();
            if (_options.Sync == SyncPolicy.EveryBatch)
            {
                journal.Sync();
            }

            _unsynced[i] = _options.Sync == SyncPolicy.EveryBatch ? 0 : 1;
            if (_options.Sync != SyncPolicy.Interval)
            {
                // None: flushed is what a process crash keeps; EveryBatch: synced just now.
                ResolveSyncedEnds(i);
            }
        }

        return wrote || ended;
    }

    /// <summary>Tells the transaction log that partition <paramref name="i"/>'s end markers written so far are durable. True when there were any.</summary>
    private bool ResolveSyncedEnds(int i)
    {
        if (_options.Sync == SyncPolicy.Interval && _unsynced[i] != 0)
        {
            return false;
        }

        bool any = false;
        for (int e = _endsAwaitingSync.Count - 1; e >= 0; e--)
        {
            (TransactionPart part, int partition) = _endsAwaitingSync[e];
            if (partition == i)
            {
                part.Commit.Log?.Resolve(part.Commit.Transaction, new TopicPart(_topicName, i));
                _endsAwaitingSync.RemoveAt(e);
                any = true;
            }
        }

        return any;
    }

    /// <summary>True when partition <paramref name="i"/> has end markers written and not yet resolved (Interval: until a sync).</summary>
    private bool HasEndsAwaitingSync(int i)
    {
        foreach ((_, int partition) in _endsAwaitingSync)
        {
            if (partition == i)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The acknowledged end of partition <paramref name="i"/>: <paramref name="end"/>, held before the first part whose commit is not durable yet.</summary>
    private long CapAcknowledged(int i, long end)
    {
        foreach (TransactionPart part in _parts[i])
        {
            // Acquire (IsDurable): the record is in the log before we acknowledge past the part. A local commit has no
            // record: it waits for its end marker (below).
            if (!part.Commit.IsDurable || part.Commit.IsLocal)
            {
                end = Math.Min(end, part.First);
            }
        }

        // A local commit's end marker written but not yet durable (Interval: until the next sync).
        foreach ((TransactionPart part, int partition) in _endsAwaitingSync)
        {
            if (partition == i && part.Commit.IsLocal)
            {
                end = Math.Min(end, part.First);
            }
        }

        return end;
    }

    /// <summary>What "durable" means for a part under the topic's policy: flushed (None), synced (the others).</summary>
    private long DurableEnd(PartitionJournal journal) => _options.Sync == SyncPolicy.None ? journal.FlushedEnd : journal.SyncedEnd;

    /// <summary>True when partition <paramref name="i"/> has transaction work that needs no new event (a commit became durable, a registration waits).</summary>
    private bool HasTransactionWork(int i)
    {
        if (_options.Sync == SyncPolicy.Interval)
        {
            // Settled by the interval's sync only: the park's time-out (at most the interval) wakes the journaller for it.
            return false;
        }

        long inputEnd = CapAcknowledged(i, DurableEnd(_partitions[i].Journal!.Journal));
        foreach (TransactionPart part in _parts[i])
        {
            if (part.IsInput && !part.ReportedDurable && part.Last < inputEnd)
            {
                return true;
            }

            if (part.ReportedDurable && (part.Commit.IsDurable || part.Commit.Failure is not null))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The topic is closing (everything it could journal is journaled): settles what it can, waits up to
    /// <see cref="FinishTimeout"/> for commits whose other parts are still being journaled elsewhere, then abandons the
    /// rest, and at once the commits of parts this journaller could not journal (held behind a transaction still open):
    /// recovery aborts them in every part, which is allowed because none of their events was acknowledged.
    /// </summary>
    private void FinishTransactions()
    {
        _finishing = true;
        long deadline = Environment.TickCount64 + (long)FinishTimeout.TotalMilliseconds;
        while (true)
        {
            // Registrations after the last round's drain too: their parts are never journaled now, so they are abandoned below.
            for (int i = 0; i < _partitions.Length; i++)
            {
                _partitions[i].Journal!.DrainTransactionParts(_parts[i]);
            }

            bool waiting = false;
            long timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            for (int i = 0; i < _partitions.Length; i++)
            {
                // Interval: end markers written by an earlier round (the close's SyncAll settles after its sync) are
                // synced here too, or their offsets, and every offset after them, would never be acknowledged.
                if (SettleTransactions(i, timestamp) | HasEndsAwaitingSync(i))
                {
                    PartitionJournal journal = _partitions[i].Journal!.Journal;
                    if (_options.Sync == SyncPolicy.Interval)
                    {
                        journal.Sync();
                        _unsynced[i] = 0;
                        ResolveSyncedEnds(i);
                    }

                    _partitions[i].Acknowledge(CapAcknowledged(i, DurableEnd(journal)));
                }

                List<TransactionPart> parts = _parts[i];
                for (int p = parts.Count - 1; p >= 0; p--)
                {
                    TransactionPart part = parts[p];
                    if (!part.ReportedDurable)
                    {
                        // Never journaled now (held behind a transaction still open): its commit cannot become durable.
                        part.Commit.TryAbandon(FinishTimeout);
                    }

                    if (part.Commit.IsLost)
                    {
                        parts.RemoveAt(p);
                    }
                    else
                    {
                        waiting = true;
                    }
                }
            }

            if (!waiting || Environment.TickCount64 >= deadline)
            {
                break;
            }

            Thread.Sleep(1);
        }

        foreach (List<TransactionPart> parts in _parts)
        {
            foreach (TransactionPart part in parts)
            {
                // A record being written meanwhile is waited for; a durable one gets its end marker at the next open.
                part.Commit.TryAbandon(FinishTimeout);
            }

            parts.Clear();
        }
    }
}
