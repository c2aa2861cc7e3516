using Microsoft.Win32.SafeHandles;

namespace HotPath.Durability;

/// <summary>
/// Recovery of a partition directory for <see cref="PartitionJournal.Open"/>: opens the segments in base-offset order,
/// checks their headers and offset continuity, trusts a sealed segment's index when it is whole (verifying only the
/// frames after its last entry) and rebuilds it otherwise, and scans the last segment whole, cutting off a torn tail.
/// </summary>
/// <remarks>
/// <para>A bad frame before the checkpoint's position (data verified and synced before) is corruption; one at or after it,
/// or in a segment created after the checkpoint, is a torn tail: the file is cut there. A last segment shorter than its
/// header and created after the checkpoint is deleted.</para>
/// <para>Transactions. The whole scans of the last segment and the one before it collect the transactions with a tagged
/// batch and no end marker after it, among the whole frames before any cut. The appender rolls at most once while a
/// transaction's marker is missing (see <see cref="PartitionJournal.HoldRoll"/>), so such batches are in those two
/// segments; the bounded tail scans of older sealed segments collect nothing. A tagged batch in an older segment belongs
/// to a transaction that was closed (its marker is in the next segment, perhaps before that segment's last index entry,
/// where a tail scan does not look) or decided by an earlier recovery (aborted set, or marker appended): deciding it
/// again would ask a transaction log that has long dropped its resolved record, and abort an acknowledged transaction.
/// When a torn segment before the last is recovered as the last, the one before it becomes the segment before the last
/// and is scanned again, whole. Each transaction found is decided once: one already in the aborted set (the <c>aborted</c> file,
/// <see cref="AbortedTransactionsFile"/>) stays aborted without asking; else
/// <see cref="JournalSettings.IsTransactionCommitted"/> true means roll forward (the caller appends its end marker),
/// false or no callback means abort. New aborts are written to the <c>aborted</c> file, forced to stable storage, before
/// this returns: before any end marker is appended and before the journal is handed out, so a reader can never see a
/// transaction's events that a later recovery would turn into gaps.</para>
/// <para>Thread-safety: runs before the journal is shared.</para>
/// </remarks>
internal static class JournalRecoverer
{
    /// <summary>
    /// Recovers <paramref name="directory"/> (which exists); returns the open segments, oldest first (at least one), the
    /// report (whose <see cref="JournalRecovery.CompletedTransactions"/> still need their end markers appended, by the
    /// caller) and the aborted set (persisted).
    /// </summary>
    public static (List<JournalSegment> Segments, JournalRecovery Recovery, HashSet<long> Aborted) Recover(
        string directory, int eventSize, JournalSettings settings, int indexCapacity)
    {
        string tempCheckpoint = Path.Combine(directory, SegmentLayout.CheckpointTempFileName);
        if (File.Exists(tempCheckpoint))
        {
            File.Delete(tempCheckpoint);
        }

        JournalCheckpoint? checkpoint = JournalCheckpoint.Load(directory);
        var bases = new List<long>();
        foreach (string file in Directory.EnumerateFiles(directory, "*" + SegmentLayout.SegmentExtension))
        {
            if (SegmentLayout.TryParseSegmentFileName(Path.GetFileName(file), out long baseOffset))
            {
                bases.Add(baseOffset);
            }
        }

        bases.Sort();
        var segments = new List<JournalSegment>(bases.Count + 1);
        var truncation = (File: (string?)null, At: 0L, Bytes: 0L, Reason: (string?)null);
        (string Path, long Bytes)? deletedAfterTear = null;
        int indexesRebuilt = 0;
        byte[] buffer = new byte[64 * 1024];
        var openTransactions = new Dictionary<long, long>();
        var abortedNow = new List<long>();
        var completed = new List<long>();
        HashSet<long> aborted;
        try
        {
            aborted = AbortedTransactionsFile.Load(directory);
            long? expectedBase = null;
            for (int i = 0; i < bases.Count; i++)
            {
                bool isLast = i == bases.Count - 1;
                long baseOffset = bases[i];
                string path = Path.Combine(directory, SegmentLayout.SegmentFileName(baseOffset));
                string indexPath = Path.Combine(directory, SegmentLayout.IndexFileName(baseOffset));
                bool checkpointBefore = checkpoint is not JournalCheckpoint c || c.SegmentBase < baseOffset;
                SafeFileHandle data = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
                long fileLength = RandomAccess.GetLength(data);
                if (fileLength < FileHeaderLayout.Size && isLast && checkpointBefore)
                {
                    data.Dispose();
                    File.Delete(path);
                    File.Delete(indexPath);
                    truncation = (path, 0, fileLength, $"torn header: {fileLength} of {FileHeaderLayout.Size} bytes; the segment was deleted");
                    break;
                }

                JournalSegment segment;
                try
                {
                    CheckHeader(data, path, baseOffset, eventSize, expectedBase);
                    segment = isLast
                        ? new JournalSegment(path, indexPath, baseOffset, data, OpenFreshIndex(indexPath, eventSize, baseOffset), new SparseIndex(indexCapacity), 0)
                        : OpenSealed(path, indexPath, baseOffset, data, fileLength, bases[i + 1], eventSize, indexCapacity);
                }
                catch
                {
                    data.Dispose();
                    throw;
                }

                segments.Add(segment);
                if (isLast)
                {
                    long checkpointPosition = checkpoint is JournalCheckpoint cp && cp.SegmentBase == baseOffset ? cp.Position : FileHeaderLayout.Size;
                    if (checkpoint is JournalCheckpoint after && after.SegmentBase > baseOffset)
                    {
                        throw new JournalCorruptionException(path, fileLength, $"the checkpoint is in segment {SegmentLayout.SegmentFileName(after.SegmentBase)}, which is missing");
                    }

                    ScanLast(segment, fileLength, checkpointPosition, eventSize, settings.IndexIntervalBytes, ref buffer, ref truncation, openTransactions);
                    segment.PersistIndex();
                }
                else
                {
                    // The segment before the last is scanned whole: a transaction's tagged batch without its end marker may be
                    // there (the journal rolls once at most while one is open), never further back.
                    bool beforeLast = i == bases.Count - 2;
                    long tearableFrom = beforeLast && CreatedAfterBackgroundSeal(directory, bases[^1])
                        ? TearableFrom(checkpoint, baseOffset, bases[^1])
                        : long.MaxValue;
                    int rebuilt = VerifySealed(
                        segment, fileLength, eventSize, settings.IndexIntervalBytes, ref buffer, beforeLast ? openTransactions : null, whole: beforeLast, tearableFrom);

                    // Whole frames that end short of the next segment's base, past the checkpoint: cut at a frame boundary.
                    if (rebuilt < 0 || (fileLength >= tearableFrom && segment.EndOffset < bases[^1]))
                    {
                        // Torn past the checkpoint, with a last segment created after it: recovered as the last segment (its
                        // tail cut below), and the segment after it, never confirmed on stable storage either, deleted.
                        segments.RemoveAt(segments.Count - 1);
                        segment.Dispose();
                        string lastPath = Path.Combine(directory, SegmentLayout.SegmentFileName(bases[^1]));
                        deletedAfterTear = (lastPath, new FileInfo(lastPath).Length);
                        File.Delete(lastPath);
                        File.Delete(Path.Combine(directory, SegmentLayout.IndexFileName(bases[^1])));
                        bases.RemoveAt(bases.Count - 1);

                        // The segment before this one (if any) is the one before the last now: open transactions are
                        // collected again from the whole scans of the two, so it is reopened and scanned whole.
                        openTransactions.Clear();
                        i--;
                        if (segments.Count > 0)
                        {
                            segments[^1].Dispose();
                            segments.RemoveAt(segments.Count - 1);
                            i--;
                        }

                        expectedBase = segments.Count > 0 ? segments[^1].EndOffset : null;
                        continue;
                    }

                    indexesRebuilt += rebuilt;
                }

                expectedBase = segment.EndOffset;
            }

            if (segments.Count == 0)
            {
                if (checkpoint is JournalCheckpoint orphan)
                {
                    throw new JournalCorruptionException(Path.Combine(directory, SegmentLayout.CheckpointFileName), 0, $"the checkpoint is in segment {SegmentLayout.SegmentFileName(orphan.SegmentBase)}, and no segment file exists");
                }

                segments.Add(JournalSegment.Create(directory, 0, eventSize, indexCapacity, preallocateBytes: settings.PreallocateBytes));
            }

            if (deletedAfterTear is (string deletedPath, long deletedBytes))
            {
                string deleted = $"the segment after it, {Path.GetFileName(deletedPath)} ({deletedBytes} bytes), created before its seal reached stable storage, was deleted";
                truncation = truncation.File is null
                    ? (segments[^1].Path, segments[^1].Length, deletedBytes, $"the segment ends at offset {segments[^1].EndOffset}, short of the next segment's base; {deleted}")
                    : (truncation.File, truncation.At, truncation.Bytes + deletedBytes, $"{truncation.Reason}; {deleted}");
            }

            Decide(directory, settings, segments[^1].EndOffset, openTransactions, aborted, abortedNow, completed);
        }
        catch
        {
            foreach (JournalSegment segment in segments)
            {
                segment.Dispose();
            }

            throw;
        }

        JournalSegment last = segments[^1];
        var recovery = new JournalRecovery(
            segments.Count, segments[0].BaseOffset, last.EndOffset, truncation.Bytes, truncation.File, truncation.At, truncation.Reason, indexesRebuilt,
            abortedNow, completed);
        return (segments, recovery, aborted);
    }

    /// <summary>
    /// Decides each transaction of <paramref name="openTransactions"/> (number to first offset), in the order of their
    /// first batch: already aborted stays aborted; committed by the transaction log goes to <paramref name="completed"/>;
    /// else it is added to <paramref name="aborted"/> and <paramref name="abortedNow"/>. First forgets the one-partition
    /// numbers that name offsets at or past <paramref name="end"/>. Persists the aborted set when it changed, before
    /// returning.
    /// </summary>
    private static void Decide(
        string directory, JournalSettings settings, long end, Dictionary<long, long> openTransactions, HashSet<long> aborted, List<long> abortedNow,
        List<long> completed)
    {
        // A transaction on one partition is numbered by its first offset, negated (-(first + 1)): one aborted by an
        // earlier recovery whose batch was later cut away (a machine crash took the bytes that recovery had not forced
        // yet) names an offset the journal will give again, and with it the number, to a transaction that may commit.
        // Forgotten here, and forced with the decisions below, before any offset at or past the end is appended.
        bool forgot = aborted.RemoveWhere(transaction => transaction < 0 && -(transaction + 1) >= end) != 0;
        foreach ((long transaction, _) in openTransactions.OrderBy(pair => pair.Value))
        {
            if (aborted.Contains(transaction))
            {
                continue;
            }

            if (settings.IsTransactionCommitted is { } isCommitted && isCommitted(transaction))
            {
                completed.Add(transaction);
            }
            else
            {
                abortedNow.Add(transaction);
            }
        }

        if (abortedNow.Count > 0 || forgot)
        {
            aborted.UnionWith(abortedNow);

            // Forced to stable storage before any end marker is appended and before a reader exists: a crash after this
            // keeps the transactions aborted; a crash before it decides them again from the same log.
            AbortedTransactionsFile.Save(directory, aborted);
        }
    }

    private static void CheckHeader(SafeFileHandle data, string path, long baseOffset, int eventSize, long? expectedBase)
    {
        Span<byte> header = stackalloc byte[FileHeaderLayout.Size];
        int read = RandomAccess.Read(data, header, 0);
        (int recordSize, long headerBase) = FileHeaderLayout.Read(header[..read], path, FileHeaderLayout.FileKind.Segment);
        if (recordSize != eventSize)
        {
            throw new JournalException(path, $"'{path}' holds events of {recordSize} bytes, and this journal's events are {eventSize} bytes: the topic's event type changed; move the partition's files away or open it with the old event type");
        }

        if (headerBase != baseOffset)
        {
            throw new JournalCorruptionException(path, 0, $"the header's base offset {headerBase} does not match the file name's {baseOffset}");
        }

        if (expectedBase is long expected && expected != baseOffset)
        {
            throw new JournalCorruptionException(path, 0, $"offset out of order: expected {expected}, found {baseOffset}");
        }
    }

    private static SafeFileHandle OpenFreshIndex(string indexPath, int eventSize, long baseOffset)
    {
        SafeFileHandle index = File.OpenHandle(indexPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            Span<byte> header = stackalloc byte[FileHeaderLayout.Size];
            FileHeaderLayout.Write(header, FileHeaderLayout.FileKind.Index, eventSize, baseOffset);
            RandomAccess.SetLength(index, FileHeaderLayout.Size);
            RandomAccess.Write(index, header, 0);
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    /// <summary>Opens a sealed segment with its index file loaded when whole, else with an empty index to rebuild.</summary>
    private static JournalSegment OpenSealed(string path, string indexPath, long baseOffset, SafeFileHandle data, long fileLength, long nextBase, int eventSize, int indexCapacity)
    {
        SparseIndex? loaded = TryLoadIndex(indexPath, baseOffset, fileLength, nextBase, eventSize, indexCapacity);
        if (loaded is not null)
        {
            SafeFileHandle index = File.OpenHandle(indexPath, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
            return new JournalSegment(path, indexPath, baseOffset, data, index, loaded, loaded.Count);
        }

        return new JournalSegment(path, indexPath, baseOffset, data, OpenFreshIndex(indexPath, eventSize, baseOffset), new SparseIndex(indexCapacity), 0);
    }

    /// <summary>The index file's entries when it is whole: a valid header for this segment, whole entries, the first at the first frame, ascending, inside the segment.</summary>
    private static SparseIndex? TryLoadIndex(string indexPath, long baseOffset, long fileLength, long nextBase, int eventSize, int indexCapacity)
    {
        if (!File.Exists(indexPath))
        {
            return null;
        }

        byte[] bytes = File.ReadAllBytes(indexPath);
        try
        {
            (int recordSize, long headerBase) = FileHeaderLayout.Read(bytes, indexPath, FileHeaderLayout.FileKind.Index);
            if (recordSize != eventSize || headerBase != baseOffset)
            {
                return null;
            }
        }
        catch (JournalException)
        {
            return null;
        }

        int count = (bytes.Length - FileHeaderLayout.Size) / SegmentLayout.IndexEntrySize;
        if ((bytes.Length - FileHeaderLayout.Size) % SegmentLayout.IndexEntrySize != 0 || count == 0)
        {
            return null;
        }

        var index = new SparseIndex(Math.Max(count, indexCapacity));
        long previousOffset = baseOffset - 1;
        long previousPosition = FileHeaderLayout.Size - 1;
        for (int i = 0; i < count; i++)
        {
            (long offset, long position) = SegmentLayout.ReadIndexEntry(bytes.AsSpan(FileHeaderLayout.Size + (i * SegmentLayout.IndexEntrySize)));
            bool first = i == 0;
            if ((first && (offset != baseOffset || position != FileHeaderLayout.Size))
                || offset <= previousOffset || offset >= nextBase || position <= previousPosition || position >= fileLength)
            {
                return null;
            }

            index.Add(offset, position);
            (previousOffset, previousPosition) = (offset, position);
        }

        return index;
    }

    /// <summary>
    /// True when the last segment, at <paramref name="lastBase"/>, carries <see cref="FileHeaderLayout.FlagAfterBackgroundSeal"/>:
    /// the segment before it was sealed in the background. False for a file too short for its header, or a damaged
    /// header (the main loop reports those).
    /// </summary>
    private static bool CreatedAfterBackgroundSeal(string directory, long lastBase)
    {
        byte[] header = new byte[FileHeaderLayout.Size];
        using (SafeFileHandle data = File.OpenHandle(Path.Combine(directory, SegmentLayout.SegmentFileName(lastBase))))
        {
            if (RandomAccess.Read(data, header, 0) < header.Length)
            {
                return false;
            }
        }

        try
        {
            FileHeaderLayout.Read(header, SegmentLayout.SegmentFileName(lastBase), FileHeaderLayout.FileKind.Segment);
        }
        catch (JournalException)
        {
            return false;
        }

        return (FileHeaderLayout.ReadFlags(header) & FileHeaderLayout.FlagAfterBackgroundSeal) != 0;
    }

    /// <summary>
    /// Where damage in the segment at <paramref name="baseOffset"/>, the one before the last (at <paramref name="lastBase"/>,
    /// created after a background seal), is a torn tail rather than corruption: from the checkpoint's position (or the
    /// segment's start) when the last segment was created after the checkpoint; else never (<see cref="long.MaxValue"/>).
    /// </summary>
    /// <remarks>
    /// Sync None seals a rolled segment in the background and writes the checkpoint naming the new segment only after the
    /// seal forced it (<see cref="JournalSettings.SealInBackground"/>), and marks the new segment's header. A machine crash
    /// before the checkpoint leaves the sealed segment's tail past the checkpoint unconfirmed: it may be torn, or end
    /// early at a frame boundary. With the checkpoint in the last segment, or without the mark (the roll forced the segment
    /// before creating the next), damage there is corruption.
    /// </remarks>
    private static long TearableFrom(JournalCheckpoint? checkpoint, long baseOffset, long lastBase) => checkpoint switch
    {
        null => FileHeaderLayout.Size,
        JournalCheckpoint c when c.SegmentBase >= lastBase => long.MaxValue,
        JournalCheckpoint c when c.SegmentBase == baseOffset => c.Position,
        JournalCheckpoint c when c.SegmentBase < baseOffset => FileHeaderLayout.Size,
        _ => long.MaxValue,
    };

    /// <summary>
    /// Verifies a sealed segment from its last index entry to its end (a bounded scan), or with <paramref name="whole"/>
    /// from its start; when the bounded scan fails or the index is empty, rebuilds the index from a whole scan. Returns 1
    /// when a missing or damaged index was rebuilt. A bad frame in the whole scan is corruption, unless it is at or after
    /// <paramref name="tearableFrom"/>: then it returns -1 (a torn tail; the caller recovers the segment as the last).
    /// <paramref name="openTransactions"/>, when given, collects the transactions the scan finds open (see the remarks on the class).
    /// </summary>
    private static int VerifySealed(
        JournalSegment segment, long fileLength, int eventSize, int indexIntervalBytes, ref byte[] buffer, Dictionary<long, long>? openTransactions, bool whole,
        long tearableFrom)
    {
        int count = segment.Index.Count;
        if (count > 0 && !whole)
        {
            SparseIndex.Entry last = segment.Index[count - 1];
            SegmentScanner.ScanResult tail = SegmentScanner.Scan(
                segment, last.Position, last.Offset, fileLength, eventSize, indexIntervalBytes, ref buffer, openTransactions);
            if (tail.Failure is null)
            {
                Seal(segment, tail, fileLength);
                segment.PersistIndex();
                return 0;
            }
        }

        segment.ResetIndex();
        SegmentScanner.ScanResult wholeScan = SegmentScanner.Scan(
            segment, FileHeaderLayout.Size, segment.BaseOffset, fileLength, eventSize, indexIntervalBytes, ref buffer, openTransactions);
        if (wholeScan.Failure is not null)
        {
            return wholeScan.Position >= tearableFrom
                ? -1
                : throw new JournalCorruptionException(segment.Path, wholeScan.Position, wholeScan.Failure);
        }

        Seal(segment, wholeScan, fileLength);
        segment.PersistIndex();
        // A whole scan asked for (the segment before the last) rebuilt a sound index: not counted as a repair.
        return whole && count > 0 ? 0 : 1;
    }

    private static void Seal(JournalSegment segment, SegmentScanner.ScanResult scan, long fileLength)
    {
        segment.Length = fileLength;
        segment.EndOffset = scan.EndOffset;
        segment.LastTimestampMs = scan.LastTimestampMs;
    }

    private static void ScanLast(
        JournalSegment segment, long fileLength, long checkpointPosition, int eventSize, int indexIntervalBytes, ref byte[] buffer,
        ref (string? File, long At, long Bytes, string? Reason) truncation, Dictionary<long, long> openTransactions)
    {
        SegmentScanner.ScanResult scan = SegmentScanner.Scan(
            segment, FileHeaderLayout.Size, segment.BaseOffset, fileLength, eventSize, indexIntervalBytes, ref buffer, openTransactions);
        if (scan.Position < checkpointPosition)
        {
            string reason = scan.Failure ?? $"the file ends at byte {fileLength}, before the checkpoint at byte {checkpointPosition}";
            throw new JournalCorruptionException(segment.Path, scan.Position, reason);
        }

        if (scan.Failure is not null)
        {
            RandomAccess.SetLength(segment.Data, scan.Position);
            truncation = (segment.Path, scan.Position, fileLength - scan.Position, scan.Failure);
        }

        segment.Length = scan.Position;
        segment.EndOffset = scan.EndOffset;
        segment.LastTimestampMs = scan.LastTimestampMs;
    }
}
