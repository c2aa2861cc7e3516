using HotPath.Consumers;
using HotPath.Durability;

namespace HotPath.Transactions;

/// <summary>
/// A committing transaction's side of durability: when its events went to two or more durable partitions, or to one
/// while it also commits consumer offsets on a durable topic (consume-transform-produce), it gets a number in the
/// durability directory's transaction log and one <see cref="TransactionPart"/> per partition (one partition alone: see
/// the remarks), registered with each journal at the decision; its offsets are held back from persistence until its
/// commit record is durable (see <see cref="DurableCommit"/> for the rest of the protocol).
/// </summary>
/// <remarks>
/// A transaction whose events went to one durable partition and that commits no durable offsets needs no log record, but
/// it still gets a part (a local <see cref="DurableCommit"/>): its events may reach the journal as several frames of one
/// write (the ring wraps inside it, aborted offsets lie between its events, it holds more than a batch), and a crash
/// inside that write would keep the first frames only. Tagged, with its end marker as the commit point, it is whole or
/// aborted after any crash. Offsets committed with no durable output are persisted as usual. Costs a few small
/// allocations per commit that touches a durable partition (the parts and the record), none per event.
/// Thread-safety: the committing thread.
/// </remarks>
internal static class DurableCommits
{
    /// <summary>
    /// Builds the parts of the transaction over <paramref name="touched"/>'s durable partitions, or null when it needs
    /// none. Returns why the transaction cannot commit (then it is aborted), or null.
    /// </summary>
    public static string? Prepare(
        TransactionWrites[] touched, int count, IOwnedPartition?[] offsetPartitions, long[] offsetValues, int offsetCount,
        out (JournalProgress Journal, TransactionPart Part)[]? registrations)
    {
        registrations = null;
        List<(JournalProgress Journal, long[] Ranges)>? parts = null;
        List<(ITransactionalOffsetTarget Target, long Offset)>? offsets = null;
        for (int i = 0; i < count; i++)
        {
            if (touched[i].Partition.DurableJournal is not JournalProgress journal)
            {
                continue;
            }

            long[] ranges = touched[i].CopyRanges();
            if (ranges.Length == 0)
            {
                continue;
            }

            if (parts is not null && journal.Transactions!.Root != parts[0].Journal.Transactions!.Root)
            {
                return $"its events went to durable topics in two durability directories ('{parts[0].Journal.TopicName}' in '{parts[0].Journal.Transactions!.Root}', "
                    + $"'{journal.TopicName}' in '{journal.Transactions.Root}'): one commit record cannot cover both; keep a transaction's durable topics in one DurabilityOptions.Directory";
            }

            (parts ??= []).Add((journal, ranges));
        }

        for (int i = 0; i < offsetCount; i++)
        {
            if (offsetPartitions[i] is ITransactionalOffsetTarget { DurableJournal: not null } target)
            {
                (offsets ??= []).Add((target, offsetValues[i]));
            }
        }

        if (parts is null)
        {
            return null;
        }

        if (parts.Count == 1 && offsets is null)
        {
            // One durable partition and no durable offsets: no commit record, but tagged batches all the same, with the end
            // marker as the commit point. Plain batches were not enough: the transaction may reach the journal as several
            // frames of one write (the ring wraps inside it, aborted offsets lie between its events, it holds more than
            // MaxBatch events), and a crash inside that write kept the first frames only. Numbered by its first offset,
            // negated: never a log's number (those are positive), and unique in the partition (an offset is given twice
            // only after a recovery cut it away, and that recovery forgets the number: JournalRecoverer.Decide).
            JournalProgress only = parts[0].Journal;
            var local = new DurableCommit(
                null, new TransactionRecord(-(parts[0].Ranges[0] + 1), [new TopicPart(only.TopicName, only.Partition)], []), sync: false, [only], []);
            registrations = [(only, new TransactionPart(local, parts[0].Ranges))];
            return null;
        }

        foreach ((ITransactionalOffsetTarget target, _) in offsets ?? [])
        {
            if (System.Text.Encoding.UTF8.GetByteCount(target.GroupId) > 255)
            {
                return $"it commits offsets of group '{target.GroupId}', whose id is longer than the 255 UTF-8 bytes a commit record holds";
            }

            if (target.DurableJournal!.Transactions!.Root != parts[0].Journal.Transactions!.Root)
            {
                return $"it commits offsets of group '{target.GroupId}' on durable topic '{target.DurableJournal.TopicName}' in '{target.DurableJournal.Transactions.Root}', "
                    + $"and its events went to '{parts[0].Journal.TopicName}' in '{parts[0].Journal.Transactions!.Root}': one commit record cannot cover both; keep input and output topics in one DurabilityOptions.Directory";
            }
        }

        TransactionLog log;
        try
        {
            // Every participating topic holds its own reference: the log stays open while any of them is.
            log = parts[0].Journal.Transactions!.Get();
            foreach ((JournalProgress journal, _) in parts)
            {
                journal.Transactions!.Get();
            }

            foreach ((ITransactionalOffsetTarget target, _) in offsets ?? [])
            {
                target.DurableJournal!.Transactions!.Get();
            }
        }
        catch (Exception e) when (e is JournalException or ObjectDisposedException)
        {
            return $"the transaction log of '{parts[0].Journal.Transactions!.Root}' cannot be used ({e.Message})";
        }

        long transaction;
        try
        {
            transaction = log.NextTransaction();
        }
        catch (JournalException e)
        {
            return e.Message;
        }

        var topicParts = new List<TopicPart>(parts.Count);
        var journals = new List<JournalProgress>(parts.Count + (offsets?.Count ?? 0));
        bool sync = false;
        foreach ((JournalProgress journal, _) in parts)
        {
            topicParts.Add(new TopicPart(journal.TopicName, journal.Partition));
            journals.Add(journal);
            sync |= journal.Sync != SyncPolicy.None;
        }

        // The input partitions report too: the record waits until their journals hold what the transaction consumed.
        foreach ((ITransactionalOffsetTarget target, _) in offsets ?? [])
        {
            journals.Add(target.DurableJournal!);
            sync |= target.DurableJournal!.Sync != SyncPolicy.None;
        }

        var recordOffsets = new List<TransactionOffset>();
        foreach ((ITransactionalOffsetTarget target, long offset) in offsets ?? [])
        {
            recordOffsets.Add(new TransactionOffset(target.DurableJournal!.TopicName, target.GroupId, target.DurableJournal.Partition, offset));
        }

        var commit = new DurableCommit(log, new TransactionRecord(transaction, topicParts, recordOffsets), sync, [.. journals], offsets?.ToArray() ?? []);
        var registered = new List<(JournalProgress, TransactionPart)>(journals.Count);
        foreach ((JournalProgress journal, long[] ranges) in parts)
        {
            registered.Add((journal, new TransactionPart(commit, ranges)));
        }

        foreach ((ITransactionalOffsetTarget target, long offset) in offsets ?? [])
        {
            registered.Add((target.DurableJournal!, new TransactionPart(commit, [], offset)));
        }

        registrations = [.. registered];
        return null;
    }

    /// <summary>The transaction decided: holds its durable offsets back from persistence (before they are committed in memory).</summary>
    public static void Hold((JournalProgress Journal, TransactionPart Part)[]? registrations)
    {
        if (registrations is not null)
        {
            registrations[0].Part.Commit.HoldOffsets();
        }
    }

    /// <summary>Registers the decided transaction's parts with their journals (before its index entries close).</summary>
    public static void Register((JournalProgress Journal, TransactionPart Part)[]? registrations)
    {
        if (registrations is null)
        {
            return;
        }

        foreach ((JournalProgress journal, TransactionPart part) in registrations)
        {
            journal.RegisterTransactionPart(part);
        }
    }
}
