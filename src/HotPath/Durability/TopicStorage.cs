using HotPath.Topics;

namespace HotPath.Durability;

/// <summary>
/// A durable topic's files, opened and recovered: the directory (lock held), each partition's journal and the offsets
/// journal. Opening is all or nothing: a failure closes what was opened before it and releases the lock.
/// </summary>
/// <remarks>Thread-safety: built and disposed by the topic; the parts document their own.</remarks>
internal sealed class TopicStorage : IDisposable
{
    private TopicStorage(TopicDirectory directory, OffsetStore offsets, JournalProgress[] partitions, TopicRecovery recovery, TransactionLogHandle transactions)
    {
        Transactions = transactions;
        Directory = directory;
        Offsets = offsets;
        Partitions = partitions;
        Recovery = recovery;
    }

    public TopicDirectory Directory { get; }

    /// <summary>The durability directory's transaction log, acquired when it exists or when a transaction first needs it.</summary>
    public TransactionLogHandle Transactions { get; }

    public OffsetStore Offsets { get; }

    /// <summary>Per partition, its journal and progress.</summary>
    public JournalProgress[] Partitions { get; }

    public TopicRecovery Recovery { get; }

    /// <summary>Opens (creating when new) the files of the topic that <paramref name="options"/> describes.</summary>
    public static TopicStorage Open(TopicOptions options, int eventSize, string eventTypeName)
    {
        DurabilityOptions durability = options.Durability!;
        TopicDirectory? directory = null;
        OffsetStore? offsets = null;
        var transactions = new TransactionLogHandle(durability.Directory, options.Name, options.PartitionCount);
        var partitions = new List<JournalProgress>();
        try
        {
            directory = TopicDirectory.Open(durability.Directory, options.Name, options.PartitionCount, eventSize, eventTypeName);
            offsets = OffsetStore.Open(directory.OffsetsDirectory);
            // Recovery asks the transaction log about tagged transactions left without their end marker (read without its
            // lock: a process using transactions in another topic of this directory may hold it); with no log, no
            // transaction over several parts was ever committed here, so every such transaction is aborted.
            TransactionLogState? log = TransactionLog.ReadSnapshot(durability.Directory);
            var settings = new JournalSettings(durability.SegmentBytes)
            {
                CheckpointInterval = TimeSpan.FromSeconds(1),
                SealInBackground = durability.Sync == SyncPolicy.None,
                Preallocate = durability.PreallocateSegments,
                ChunkBytes = durability.ChunkBytesForTest == 0 ? JournalStaging.DefaultChunkBytes : durability.ChunkBytesForTest,
                IsTransactionCommitted = log is null ? null : log.IsCommitted,
            };
            var recovered = new List<PartitionRecovery>();
            for (int i = 0; i < options.PartitionCount; i++)
            {
                PartitionJournal journal = PartitionJournal.Open(directory.PartitionDirectory(i), eventSize, settings);
                partitions.Add(new JournalProgress(journal, options.Name, i) { Transactions = transactions, Sync = durability.Sync });
                JournalRecovery found = journal.Recovery;
                recovered.Add(new PartitionRecovery(
                    i, journal.StartOffset, journal.EndOffset, journal.SegmentCount, found.TruncatedBytes, $"{options.Name}-{i}: {found}"));
            }

            // Offsets committed by transactions (consume-transform-produce) may be newer in the transaction log than in the
            // offsets log: the log's record is written first, the offsets persisted after it.
            var stored = new Dictionary<(string GroupId, int Partition), long>(offsets.Snapshot());
            foreach (TransactionOffset committed in log?.OffsetsOf(options.Name) ?? [])
            {
                if (!stored.TryGetValue((committed.GroupId, committed.Partition), out long known) || known < committed.Offset)
                {
                    stored[(committed.GroupId, committed.Partition)] = committed.Offset;
                }
            }

            var recovery = new TopicRecovery(
                directory.IsNew, recovered, stored, $"{options.Name} offsets: {offsets.Recovery}");
            return new TopicStorage(directory, offsets, [.. partitions], recovery, transactions);
        }
        catch
        {
            transactions.Release();
            foreach (JournalProgress partition in partitions)
            {
                partition.Journal.Dispose();
            }

            offsets?.Dispose();
            directory?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Closes the journals (each flushes, syncs and writes its checkpoint; a failed one is only closed), the offsets
    /// journal, then releases the lock: every part is closed whatever the others do. Returns the first failure, or null.
    /// </summary>
    public Exception? Close()
    {
        Exception? first = null;
        void Run(Action close)
        {
            try
            {
                close();
            }
            catch (Exception e)
            {
                first ??= e;
            }
        }

        foreach (JournalProgress partition in Partitions)
        {
            // Readers catching up from the journal stop reading before the files close (they see nothing more).
            partition.MarkClosed();
            Run(partition.Fault is null ? partition.Journal.Dispose : partition.Journal.CloseWithoutSync);
        }

        Run(Offsets.Dispose);
        Run(Transactions.Release);
        Run(Directory.Dispose);
        return first;
    }

    /// <inheritdoc/>
    public void Dispose() => Close();
}
