namespace HotPath.Durability;

/// <summary>How a <see cref="PartitionJournal"/> sizes its segments and indexes, and which clock it reads.</summary>
/// <param name="SegmentBytes">
/// The size at which the active segment is closed and a new one started (a single batch larger than this still goes
/// into a segment of its own).
/// </param>
/// <param name="IndexIntervalBytes">The segment bytes between two sparse index entries: a seek scans about this much.</param>
/// <remarks>Validated by <see cref="PartitionJournal.Open"/>. Thread-safety: immutable.</remarks>
internal sealed record JournalSettings(long SegmentBytes, int IndexIntervalBytes = 4096)
{
    /// <summary>The clock retention compares segment times with. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// The least time between two checkpoints written by <see cref="PartitionJournal.Sync"/>; a sync in between forces
    /// the data only (one fsync instead of three and a rename). A stale checkpoint only lets recovery treat a longer
    /// tail as torn. Default zero: every sync writes one. Durable topics use one second.
    /// </summary>
    public TimeSpan CheckpointInterval { get; init; }

    /// <summary>
    /// When true, a roll does not wait for the sealed segment to reach stable storage: it writes the segment's last bytes
    /// and index to the operating system and starts the new segment, and a thread-pool task forces the sealed segment
    /// (and the new segment's header) and then writes the checkpoint. For <see cref="SyncPolicy.None"/>, which promises
    /// only what a process crash keeps: forcing 64 MiB on the journaller's thread would stop the journal (and, once the
    /// ring is full, the writers) for as long as the disk takes to write it. At most one seal is pending: the next roll,
    /// sync, segment deletion or close waits for it first; a failed seal fails the journal for good from its next flush
    /// on. The new segment's header says its predecessor was sealed in the background, so that recovery may treat that
    /// segment's tail past the checkpoint as torn. Default false: the roll forces the sealed segment before it returns.
    /// </summary>
    public bool SealInBackground { get; init; }

    /// <summary>
    /// The alignment of <see cref="PartitionJournal.FlushChunks"/>'s writes: a power of two, default 64 KiB
    /// (<see cref="JournalStaging.DefaultChunkBytes"/>). Tests use small ones.
    /// </summary>
    public int ChunkBytes { get; init; } = JournalStaging.DefaultChunkBytes;

    /// <summary>
    /// Whether each new segment reserves <see cref="SegmentBytes"/> of disk blocks when it is created, given back when the
    /// journal closes (<see cref="DurabilityOptions.PreallocateSegments"/>). Default false.
    /// </summary>
    public bool Preallocate { get; init; }

    /// <summary>The bytes a new segment reserves: <see cref="SegmentBytes"/> with <see cref="Preallocate"/>, else 0.</summary>
    public long PreallocateBytes => Preallocate ? SegmentBytes : 0;

    /// <summary>
    /// The transaction log's answer, asked by recovery for each transaction whose tagged batches it found in the last
    /// segment with no end marker after them: true when the transaction was committed (recovery appends its end marker:
    /// roll forward), false when it was not (recovery adds it to the partition's aborted set: its batches read as gaps,
    /// forever after). Asked at most once per transaction: a transaction already aborted is not asked about again, and
    /// a rolled-forward one has its marker. Default null: there is no transaction log, and every such transaction is
    /// aborted. Called on the thread that opens the journal, before <see cref="PartitionJournal.Open"/> returns.
    /// </summary>
    public Func<long, bool>? IsTransactionCommitted { get; init; }
}
