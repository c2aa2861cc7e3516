using System.Diagnostics.CodeAnalysis;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using HotPath.Internal;

namespace HotPath.Durability;

/// <summary>
/// One partition's journal: event batches, gaps, transaction batches and their end markers appended to segment files
/// (<see cref="SegmentLayout"/>), read back by offset from any thread, recovered on open, and trimmed by retention.
/// </summary>
/// <remarks>
/// <para>Design. One appender thread at a time calls the append, flush, sync, retention and dispose methods; readers
/// on any thread call <see cref="Read"/> for offsets in [<see cref="StartOffset"/>, <see cref="FlushedEnd"/>).</para>
/// <list type="bullet">
/// <item>Appends are framed into one reused staging buffer (no allocation in steady state) and written by
/// <see cref="Flush"/> with one <see cref="RandomAccess.Write(Microsoft.Win32.SafeHandles.SafeFileHandle, ReadOnlySpan{byte}, long)"/>;
/// a full buffer or a roll flushes earlier. The appender publishes the bytes, then <c>_flushedEnd</c> (release);
/// readers acquire <c>_flushedEnd</c> and read only below it, so they never see a byte still being written.</item>
/// <item>The segment list is copy-on-write: the appender publishes a new array on a roll (before the flushed end can
/// pass the new segment's base) and on retention (after <c>_startOffset</c> moved up). A reader that raced retention
/// may find its segment's file closed: reading below <see cref="StartOffset"/> is the caller's to prevent (keepFrom).</item>
/// <item>A roll flushes the active segment and forces it (and the new segment's header) to stable storage, then writes
/// the checkpoint; <see cref="Sync"/> forces the active segment and writes the checkpoint. The checkpoint is what
/// recovery holds the tail to (see <see cref="JournalRecoverer"/>). With <see cref="JournalSettings.SealInBackground"/>
/// the force and the checkpoint after a roll run on a thread-pool task (<c>_sealing</c>), at most one at a time: the
/// appender waits for it before anything else forces, writes a checkpoint, deletes or closes segments, so the checkpoint
/// still only ever names bytes that were forced before it.</item>
/// <item>Transactions: <see cref="AppendTransactionEvents"/> writes batches tagged with a transaction number and
/// <see cref="AppendTransactionEnd"/> the transaction's end marker once the transaction log recorded its commit. Recovery
/// decides a tagged batch with no end marker after it (roll forward or abort, see <see cref="JournalRecoverer"/>); the
/// aborted set is fixed when <see cref="Open"/> returns and read without synchronisation by readers.</item>
/// </list>
/// </remarks>
internal sealed partial class PartitionJournal : IDisposable
{
    /// <summary>
    /// The staging buffer's size (it grows for a larger frame): four 64 KiB batches, so that it stays in the journaller
    /// core's L2 cache (512 KiB per core on this project's benchmark machine) beside the ring's lines it copies from and
    /// the kernel's copy out of it. Journal probe, sync None, 5 alternations: 1 MiB 1,391, 256 KiB 1,538 MB/s (medians); a
    /// sweep of 4 rounds: 1 MiB 1,357, 512 KiB 1,517, 256 KiB 1,417, 192 KiB 1,363 MB/s, the sizes below 1 MiB within
    /// each other's noise (`perf-results/20261203-131500-durable-issue13-checksum.md`).
    /// </summary>
    private const int MaxStagingBytes = 1 << 18;
    private const int MaxIndexCapacity = 1024;

    private readonly JournalSettings _settings;
    private readonly int _indexCapacity;

    /// <summary>Copy-on-write list, oldest first; the last is the active segment. Written by the appender (release), read by readers (acquire).</summary>
    private JournalSegment[] _segments;

    /// <summary>Framed batches of the active segment not yet written (and the written ones the buffer still holds). Appender.</summary>
    private readonly JournalStaging _staging;

    /// <summary>The checksum of a frame whose events are staged in place and too short to fold (<see cref="FrameLayout.Seal(Span{byte}, ReadOnlySpan{byte}, System.IO.Hashing.Crc32)"/>). Appender.</summary>
    private readonly System.IO.Hashing.Crc32 _checksum = new();

    /// <summary>The next offset to append. Appender.</summary>
    private long _endOffset;

    /// <summary>Offsets below it are in the files. Released by the appender after the write; acquired by readers.</summary>
    private long _flushedEnd;

    /// <summary>Offsets below it were forced to stable storage. Released by the appender; read by any thread.</summary>
    private long _syncedEnd;

    /// <summary>The first retained offset. Released by retention after the segment list shrank; acquired by readers.</summary>
    private long _startOffset;

    /// <summary>Bytes in all segments, staged ones included. Released by the appender; a snapshot for any thread.</summary>
    private long _sizeBytes;

    /// <summary>Frame headers read by <see cref="Read"/> (a test of the index's bound). Incremented by readers.</summary>
    private long _framesScanned;

    /// <summary>
    /// Transactions whose tagged batches read as gaps. Filled by recovery before the journal is shared and never changed
    /// after: readers on any thread look it up without synchronisation (the journal is published to them after open).
    /// </summary>
    private readonly HashSet<long> _abortedTransactions;

    /// <summary>Transactions with a tagged batch and no end marker yet, by the base of the segment of their first tagged batch. Appender.</summary>
    private readonly Dictionary<long, long> _openTagged = [];

    private JournalCheckpoint _checkpoint;
    private long _checkpointTimestamp;
    private bool _disposed;

    /// <summary>
    /// The background seal of the segment the last roll closed (<see cref="JournalSettings.SealInBackground"/>), or null.
    /// Started and awaited by the appender only; the task writes <see cref="_checkpoint"/>, <see cref="_checkpointTimestamp"/>
    /// and <see cref="_syncedEnd"/>, which the appender touches only after awaiting it (the await orders the task's
    /// writes before the appender's next reads and writes of them).
    /// </summary>
    private Task? _sealing;

    /// <summary>A background seal's failure once the appender took it in: every later use of the journal throws it. Appender.</summary>
    private System.Runtime.ExceptionServices.ExceptionDispatchInfo? _sealFailure;

    private PartitionJournal(
        string directory, int eventSize, JournalSettings settings, int indexCapacity, List<JournalSegment> segments, JournalRecovery recovery, HashSet<long> aborted)
    {
        Directory = directory;
        EventSize = eventSize;
        _settings = settings;
        _indexCapacity = indexCapacity;
        _segments = [.. segments];
        Recovery = recovery;
        _abortedTransactions = aborted;
        JournalSegment active = _segments[^1];
        _endOffset = _flushedEnd = _syncedEnd = active.EndOffset;
        _startOffset = _segments[0].BaseOffset;
        _staging = new JournalStaging((int)Math.Min(settings.SegmentBytes, MaxStagingBytes), active.Length, settings.ChunkBytes);
        foreach (JournalSegment segment in _segments)
        {
            _sizeBytes += segment.Length;
        }
    }

    /// <summary>The partition directory.</summary>
    public string Directory { get; }

    /// <summary>The bytes of one event.</summary>
    public int EventSize { get; }

    /// <summary>The alignment of <see cref="FlushChunks"/>' writes (<see cref="JournalSettings.ChunkBytes"/>).</summary>
    public int ChunkBytes => _settings.ChunkBytes;

    /// <summary>The first retained offset. Thread-safety: any thread.</summary>
    public long StartOffset => Volatile.Read(ref _startOffset);

    /// <summary>The next offset to append, buffered appends included. Thread-safety: the appender.</summary>
    public long EndOffset => _endOffset;

    /// <summary>Offsets below it were handed to the operating system: a process crash keeps them. Thread-safety: any thread.</summary>
    public long FlushedEnd => Volatile.Read(ref _flushedEnd);

    /// <summary>Offsets below it were forced to stable storage by <see cref="Sync"/> or a roll. Thread-safety: any thread.</summary>
    public long SyncedEnd => Volatile.Read(ref _syncedEnd);

    /// <summary>What <see cref="Open"/> found and repaired.</summary>
    public JournalRecovery Recovery { get; }

    /// <summary>Bytes in all segment files (index files not counted), buffered appends included. Thread-safety: any thread (a snapshot).</summary>
    public long SizeBytes => Volatile.Read(ref _sizeBytes);

    /// <summary>Segments in the journal. Thread-safety: any thread (a snapshot).</summary>
    public int SegmentCount => Volatile.Read(ref _segments).Length;

    /// <summary>
    /// While true, a batch never rolls the segment on size (a manual hold; tests). Transactions hold the roll by
    /// themselves: a tagged batch whose end marker is not written yet may be in the active segment or the one before it,
    /// never further back, because recovery scans those two whole to find and decide such batches after a crash (an
    /// older sealed segment is verified from its last index entry only). So a second roll waits until every transaction
    /// tagged before the first one has its end marker (normally milliseconds; a roll happens every
    /// <see cref="JournalSettings.SegmentBytes"/>), and the segment grows past its size meanwhile. End markers never roll.
    /// Thread-safety: the appender.
    /// </summary>
    public bool HoldRoll { get; set; }

    /// <summary>Frame headers read by <see cref="Read"/> since open (test hook for the index bound).</summary>
    internal long FramesScanned => Interlocked.Read(ref _framesScanned);

    /// <summary>The last checkpoint written (test hook: recovery keeps every frame before it).</summary>
    internal JournalCheckpoint Checkpoint => _checkpoint;

    /// <summary>The transactions whose tagged batches read as gaps (test hook). Thread-safety: any thread (fixed after open).</summary>
    internal IReadOnlySet<long> AbortedTransactions => _abortedTransactions;

    /// <summary>
    /// Opens the journal in <paramref name="directory"/> (created when missing; its parent must exist) and recovers it:
    /// see <see cref="JournalRecoverer"/>. A torn tail is cut off and reported in <see cref="Recovery"/>. Transactions
    /// found without an end marker are decided with <see cref="JournalSettings.IsTransactionCommitted"/>: the aborted
    /// ones are persisted first, then the committed ones get their end markers, which are flushed and forced to stable
    /// storage with the checkpoint before this returns.
    /// </summary>
    /// <exception cref="JournalException">The directory cannot be created or written, or a file belongs to another format or event size.</exception>
    /// <exception cref="JournalCorruptionException">Data verified before (before the checkpoint, or in a sealed segment) is damaged.</exception>
    public static PartitionJournal Open(string directory, int eventSize, JournalSettings settings)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(settings);
        if (eventSize <= 0)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(eventSize), "must be at least 1", eventSize);
        }

        if (settings.SegmentBytes < FileHeaderLayout.Size + SegmentLayout.FrameAndBatchHeaderSize)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(settings.SegmentBytes), $"must be at least {FileHeaderLayout.Size + SegmentLayout.FrameAndBatchHeaderSize}", settings.SegmentBytes);
        }

        if (settings.ChunkBytes < 1 || (settings.ChunkBytes & (settings.ChunkBytes - 1)) != 0)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(settings.ChunkBytes), "must be a power of two", settings.ChunkBytes);
        }

        if (settings.IndexIntervalBytes < 1)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(settings.IndexIntervalBytes), "must be at least 1", settings.IndexIntervalBytes);
        }

        directory = Path.GetFullPath(directory);
        string? parent = Path.GetDirectoryName(directory);
        if (!System.IO.Directory.Exists(directory) && (parent is null || !System.IO.Directory.Exists(parent)))
        {
            throw new JournalException(directory, $"cannot create the journal directory '{directory}': its parent '{parent}' does not exist; create it first");
        }

        int indexCapacity = (int)Math.Min((settings.SegmentBytes / settings.IndexIntervalBytes) + 2, MaxIndexCapacity);
        try
        {
            System.IO.Directory.CreateDirectory(directory);
            (List<JournalSegment> segments, JournalRecovery recovery, HashSet<long> aborted) = JournalRecoverer.Recover(directory, eventSize, settings, indexCapacity);
            // A crash (or a refused release) may have left blocks reserved past the last segment's end: given back when
            // the journal closes, as a new segment's are.
            segments[^1].IsPreallocated |= settings.Preallocate && OperatingSystem.IsLinux();
            var journal = new PartitionJournal(directory, eventSize, settings, indexCapacity, segments, recovery, aborted);
            try
            {
                // Roll forward: the end markers of committed transactions go in after the aborted set was persisted
                // (by the recoverer), and are written and forced below with the checkpoint before any reader exists.
                long nowMs = settings.Time.GetUtcNow().ToUnixTimeMilliseconds();
                foreach (long transaction in recovery.CompletedTransactions)
                {
                    journal.AppendTransactionEnd(transaction, nowMs);
                }

                journal.FlushStaged();
                journal.Active.FlushToDisk();
                journal.WriteCheckpoint();
            }
            catch
            {
                journal.CloseFiles();
                throw;
            }

            return journal;
        }
        catch (Exception ex) when (OsError.IsFileError(ex) && ex is not JournalException)
        {
            throw new JournalException(directory, $"cannot open the journal in '{directory}': {ex.Message}", ex);
        }
    }

    private JournalSegment Active => _segments[^1];

    /// <summary>Writes the buffered batches to the active segment, then publishes <see cref="FlushedEnd"/>. Thread-safety: the appender.</summary>
    public void Flush()
    {
        ThrowIfDisposed();
        FlushStaged();
        TakeFinishedSeal();
    }

    /// <summary>
    /// Writes the whole <see cref="JournalSettings.ChunkBytes"/> chunks (by file position) of the buffered batches and
    /// publishes <see cref="FlushedEnd"/> up to the last batch written whole; the rest stays buffered (less than a chunk)
    /// for the next flush. For an appender that is behind, whose next batch follows at once: aligned writes are cheaper
    /// for the page cache (see <see cref="JournalStaging"/>). Thread-safety: the appender.
    /// </summary>
    public void FlushChunks()
    {
        ThrowIfDisposed();
        FlushStaged(whole: false);
        TakeFinishedSeal();
    }

    /// <summary>True when buffered batches are not written yet (a <see cref="FlushChunks"/> held them back). Thread-safety: the appender.</summary>
    public bool HasUnwritten => _staging.HasUnwritten;

    /// <summary>A failed background seal fails the journal at the flush after it ended, not at the next roll.</summary>
    private void TakeFinishedSeal()
    {
        if (_sealing is { IsCompleted: true })
        {
            CompleteSealing();
        }
    }

    /// <summary>
    /// Flushes, forces the active segment to stable storage, then publishes <see cref="SyncedEnd"/>; at most every
    /// <see cref="JournalSettings.CheckpointInterval"/> it also forces the index and writes the checkpoint (rolls and
    /// closes always do). Thread-safety: the appender.
    /// </summary>
    public void Sync()
    {
        ThrowIfDisposed();
        FlushStaged();
        CompleteSealing();
        JournalSegment active = Active;
        if (System.Diagnostics.Stopwatch.GetElapsedTime(_checkpointTimestamp) < _settings.CheckpointInterval)
        {
            // One fsync of the data: the index is rebuilt from the data when the journal is recovered, and the checkpoint
            // (a temp file, an fsync and a rename) is advisory: a stale one only lets recovery treat a longer tail as torn.
            try
            {
                RandomAccess.FlushToDisk(active.Data);
            }
            catch (Exception e) when (OsError.IsFileError(e))
            {
                throw WriteFailed(active.Path, e);
            }

            // Release: everything below the flushed end is on stable storage now.
            Volatile.Write(ref _syncedEnd, _flushedEnd);
            return;
        }

        SyncAndCheckpoint();
    }

    /// <summary>
    /// Reads the run at <paramref name="offset"/>: up to the events of its batch that fit in <paramref name="destination"/>
    /// (at least one), or the rest of its gap. Verifies the batch's checksum. Thread-safety: any thread, for offsets in
    /// [<see cref="StartOffset"/>, <see cref="FlushedEnd"/>).
    /// </summary>
    /// <exception cref="JournalCorruptionException">The batch holding <paramref name="offset"/> is damaged.</exception>
    public JournalRun Read(long offset, Span<byte> destination)
    {
        // Acquire: the flushed end is read before the segment list, so the list is at least as new as the segments the
        // flushed bytes went to (the appender publishes a new segment before flushing into it).
        long flushed = Volatile.Read(ref _flushedEnd);
        long start = Volatile.Read(ref _startOffset);
        if (offset < start || offset >= flushed)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(offset), $"must be in the journal's readable window [{start}, {flushed})", offset);
        }

        if (destination.Length < EventSize)
        {
            ThrowHelper.Argument(nameof(destination), $"{nameof(destination)} must hold at least one event of {EventSize} bytes, was {destination.Length} bytes");
        }

        JournalSegment[] segments = Volatile.Read(ref _segments);
        return SegmentReader.Read(segments[FindSegment(segments, offset)], offset, destination, EventSize, _abortedTransactions, ref _framesScanned);
    }

    /// <summary>
    /// Deletes whole segments, oldest first, never the active one nor one holding an offset at or above
    /// <paramref name="keepFrom"/>, while the journal is over <paramref name="maxBytes"/> or the segment's last batch is
    /// older than <paramref name="maxAge"/>. Returns the number deleted. Thread-safety: the appender.
    /// </summary>
    public int ApplyRetention(long keepFrom, long? maxBytes, TimeSpan? maxAge)
    {
        ThrowIfDisposed();
        long nowMs = _settings.Time.GetUtcNow().ToUnixTimeMilliseconds();
        int deleted = 0;
        while (_segments.Length > 1)
        {
            JournalSegment oldest = _segments[0];
            long end = _segments[1].BaseOffset;
            bool overSize = maxBytes is long max && _sizeBytes > max;
            bool tooOld = maxAge is TimeSpan age && (oldest.LastTimestampMs == long.MinValue || nowMs - oldest.LastTimestampMs > (long)age.TotalMilliseconds);
            if (end > keepFrom || !(overSize || tooOld))
            {
                break;
            }

            // A segment being sealed in the background is not deleted under its force (waited for only now: a retention
            // check that deletes nothing must not stall the journaller on the seal).
            CompleteSealing();

            // Release: the start moves up before the list shrinks, so a reader that acquires the new start never asks
            // for the dropped segment; one that read the old start may race the delete (documented on the type).
            Volatile.Write(ref _startOffset, end);
            Volatile.Write(ref _segments, _segments[1..]);
            Volatile.Write(ref _sizeBytes, _sizeBytes - oldest.Length);
            oldest.Delete();
            deleted++;
        }

        return deleted;
    }

    /// <summary>Flushes, forces the active segment to stable storage and writes the checkpoint (a clean close), then closes the files. Idempotent.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        if (_sealFailure is not null)
        {
            // Failed: closed without a checkpoint, as after any failed write (the next open recovers what is there).
            CloseFiles();
            return;
        }

        try
        {
            FlushStaged();
            CompleteSealing();
            SyncAndCheckpoint();
        }
        finally
        {
            CloseFiles();
        }
    }

    /// <summary>
    /// Closes the files without flushing, syncing or writing a checkpoint: for a journal whose appends failed (its next
    /// open recovers what reached the files). Idempotent with <see cref="Dispose"/>.
    /// </summary>
    public void CloseWithoutSync()
    {
        if (!_disposed)
        {
            CloseFiles();
        }
    }

    private static int FindSegment(JournalSegment[] segments, long offset)
    {
        int low = 0;
        int high = segments.Length - 1;
        while (low < high)
        {
            int mid = (int)((uint)(low + high + 1) >> 1);
            if (segments[mid].BaseOffset <= offset)
            {
                low = mid;
            }
            else
            {
                high = mid - 1;
            }
        }

        return low;
    }

    /// <summary>
    /// Writes the staged batches, all of them or (without <paramref name="whole"/>) the whole chunks, then publishes the
    /// flushed end: the offset after the last batch written whole.
    /// </summary>
    private void FlushStaged(bool whole = true)
    {
        JournalSegment active = Active;
        long flushed;
        try
        {
            // The index file is written when the segment is forced (a roll, a checkpoint, the close), not per flush: the
            // active segment's index is rebuilt by recovery's whole scan anyway, and readers use the in-memory index.
            flushed = _staging.Write(active.Data, whole);
        }
        catch (Exception e) when (OsError.IsFileError(e))
        {
            throw WriteFailed(active.Path, e);
        }

        if (whole)
        {
            Debug.Assert(_staging.WrittenEnd == active.Length, "everything staged is written");
            flushed = _endOffset;
        }

        if (flushed > _flushedEnd)
        {
            // Release: the bytes below the new end were written above (paired with Read's acquire); flipped, a reader
            // could read a frame not yet in the file and report it as corrupt.
            Volatile.Write(ref _flushedEnd, flushed);
        }
    }

    private void CloseFiles()
    {
        _disposed = true;
        try
        {
            // The files are not closed under a pending force. Its failure is not reported again: a journal closed
            // without sync already failed (or was abandoned), and Dispose completed the seal before this.
            _sealing?.Wait();
        }
        catch (AggregateException)
        {
        }

        _sealing = null;
        foreach (JournalSegment segment in _segments)
        {
            try
            {
                // The active segment's reservation (a sealed one keeps less than a batch: see Roll).
                segment.ReleasePreallocation();
            }
            catch (Exception e) when (OsError.IsFileError(e))
            {
                // Not a loss: no byte of the file changes; the blocks stay reserved until a later open of the topic closes
                // again. Closing must still close every file.
            }

            segment.Dispose();
        }
    }

    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            ThrowHelper.ObjectDisposed(nameof(PartitionJournal));
        }

        _sealFailure?.Throw();
    }
}
