using HotPath.Durability;

namespace HotPath.Tests.Durability;

/// <summary>
/// Transaction-tagged batches and end markers: they round-trip, recovery rolls a committed transaction forward (appends
/// its marker) and aborts one the transaction log did not commit (its batches read as gaps, forever after, through the
/// <c>aborted</c> file), <see cref="PartitionJournal.HoldRoll"/> keeps a segment from rolling, and readers and the index
/// step over markers.
/// </summary>
public sealed class PartitionJournalTransactionTests
{
    private const int EventSize = JournalTestDirectory.EventSize;
    private const int HeaderSize = 64;
    private const int MarkerFrame = 8 + 32;

    /// <summary>The frame size of a transaction batch of <paramref name="events"/> events.</summary>
    private static int TaggedFrame(int events) => 8 + 32 + (events * EventSize);

    private static PartitionJournal Open(JournalTestDirectory dir, Func<long, bool>? isCommitted, long segmentBytes = 1 << 20, int indexIntervalBytes = 4096) =>
        PartitionJournal.Open(dir.Partition, EventSize, new JournalSettings(segmentBytes, indexIntervalBytes) { IsTransactionCommitted = isCommitted });

    private static string AbortedPath(JournalTestDirectory dir) => Path.Combine(dir.Partition, "aborted");

    /// <summary>A callback that records the transactions it was asked about and answers <paramref name="answer"/>.</summary>
    private static Func<long, bool> Recording(List<long> asked, bool answer) => transaction =>
    {
        asked.Add(transaction);
        return answer;
    };

    /// <summary>Plain 0..1, transaction 42 at 2..4 (no end marker), plain 5..6; flushed, then a crash.</summary>
    private static void WriteUnfinishedTransactionAndCrash(JournalTestDirectory dir)
    {
        PartitionJournal journal = Open(dir, null);
        journal.HoldRoll = true;
        journal.AppendEvents(0, JournalTestDirectory.Events(0, 2), 1);
        journal.AppendTransactionEvents(2, JournalTestDirectory.Events(2, 3), 2, transaction: 42);
        journal.AppendEvents(5, JournalTestDirectory.Events(5, 2), 3);
        journal.Flush();
        journal.AbandonForTest();
    }

    /// <summary>Events 0..1 and 5..6 read back as events; 2..4 as events or as one gap run; <paramref name="total"/> offsets in all.</summary>
    private static void AssertReads(PartitionJournal journal, bool transactionIsGap, int total = 7)
    {
        (List<byte[]?> entries, List<JournalRun> runs) = JournalTestDirectory.ReadAll(journal);
        Assert.Equal(total, entries.Count);
        for (int offset = 0; offset < 7; offset++)
        {
            bool gap = transactionIsGap && offset is >= 2 and <= 4;
            Assert.Equal(gap ? null : JournalTestDirectory.Events(offset, 1), entries[offset]);
        }

        Assert.Equal(new JournalRun(2, 3, transactionIsGap), runs[1]);
        Assert.False(runs[2].IsGap);
    }

    [Fact]
    public void AppendTransactionEventsAndEnd_RoundTrip_ReadsEventsAndOffsetsContinueAfterMarkers()
    {
        using var dir = new JournalTestDirectory();
        byte[] expected = JournalTestDirectory.Events(0, 12);
        using (PartitionJournal journal = Open(dir, null))
        {
            journal.HoldRoll = true;
            journal.AppendEvents(0, JournalTestDirectory.Events(0, 2), 1);
            journal.AppendTransactionEvents(2, JournalTestDirectory.Events(2, 2), 2, transaction: 7);
            journal.AppendTransactionEvents(4, JournalTestDirectory.Events(4, 2), 2, transaction: 7);
            journal.AppendTransactionEvents(6, JournalTestDirectory.Events(6, 1), 2, transaction: 8);
            journal.AppendTransactionEnd(7, 3);
            Assert.Equal(7, journal.EndOffset);
            journal.AppendTransactionEnd(8, 3);
            journal.HoldRoll = false;
            journal.AppendEvents(7, JournalTestDirectory.Events(7, 3), 4);
            journal.AppendTransactionEvents(10, JournalTestDirectory.Events(10, 2), 5, transaction: 9);
            journal.AppendTransactionEnd(9, 5);
            journal.Flush();

            Assert.Equal(12, journal.EndOffset);
            Assert.Equal(12, journal.FlushedEnd);
            Assert.Equal(
                HeaderSize + (8 + 24 + (2 * EventSize)) + (2 * TaggedFrame(2)) + TaggedFrame(1) + (2 * MarkerFrame) + (8 + 24 + (3 * EventSize)) + TaggedFrame(2) + MarkerFrame,
                new FileInfo(dir.SegmentPath(0)).Length);
            (List<byte[]?> entries, List<JournalRun> runs) = JournalTestDirectory.ReadAll(journal);
            Assert.Equal(expected, entries.SelectMany(e => e!).ToArray());
            Assert.Equal([0L, 2, 4, 6, 7, 10], runs.Select(r => r.First));
            Assert.DoesNotContain(runs, r => r.IsGap);
        }

        var asked = new List<long>();
        using PartitionJournal reopened = Open(dir, Recording(asked, answer: false));

        Assert.Empty(asked);
        Assert.Empty(reopened.Recovery.AbortedTransactions);
        Assert.Empty(reopened.Recovery.CompletedTransactions);
        Assert.Equal("recovered 1 segment, offsets [0, 12); the tail was whole", reopened.Recovery.ToString());
        Assert.False(File.Exists(AbortedPath(dir)));
        Assert.Equal(12, reopened.EndOffset);
        Assert.Equal(expected, JournalTestDirectory.ReadAll(reopened).Entries.SelectMany(e => e!).ToArray());
    }

    [Fact]
    public void Open_TransactionWithoutEndMarkerNotCommitted_ReadsAsGapsForever()
    {
        using var dir = new JournalTestDirectory();
        WriteUnfinishedTransactionAndCrash(dir);

        var asked = new List<long>();
        using (PartitionJournal journal = Open(dir, Recording(asked, answer: false)))
        {
            Assert.Equal([42L], asked);
            Assert.Equal([42L], journal.Recovery.AbortedTransactions);
            Assert.Empty(journal.Recovery.CompletedTransactions);
            Assert.Equal("recovered 1 segment, offsets [0, 7); the tail was whole; aborted transactions 42", journal.Recovery.ToString());
            Assert.True(File.Exists(AbortedPath(dir)));
            Assert.Equal(7, journal.EndOffset);
            AssertReads(journal, transactionIsGap: true);

            // A gap read through a buffer of one event is still the rest of the batch.
            Assert.Equal(new JournalRun(3, 2, true), journal.Read(3, new byte[EventSize]));
            journal.AppendEvents(7, JournalTestDirectory.Events(7, 1), 4);
        }

        asked.Clear();
        using PartitionJournal third = Open(dir, Recording(asked, answer: true));

        Assert.Empty(asked);
        Assert.Empty(third.Recovery.AbortedTransactions);
        Assert.Empty(third.Recovery.CompletedTransactions);
        Assert.Contains(42L, third.AbortedTransactions);
        Assert.Equal(8, third.EndOffset);
        AssertReads(third, transactionIsGap: true, total: 8);
        Assert.Equal(JournalTestDirectory.Events(7, 1), JournalTestDirectory.ReadAll(third).Entries[7]);
    }

    [Fact]
    public void Open_TransactionWithoutEndMarkerAndNoTransactionLog_AbortsIt()
    {
        using var dir = new JournalTestDirectory();
        WriteUnfinishedTransactionAndCrash(dir);

        using PartitionJournal journal = Open(dir, null);

        Assert.Equal([42L], journal.Recovery.AbortedTransactions);
        AssertReads(journal, transactionIsGap: true);
    }

    [Fact]
    public void Open_TransactionWithoutEndMarkerCommitted_AppendsEndMarkerAndReadsEvents()
    {
        using var dir = new JournalTestDirectory();
        WriteUnfinishedTransactionAndCrash(dir);
        long before = new FileInfo(dir.SegmentPath(0)).Length;

        var asked = new List<long>();
        using (PartitionJournal journal = Open(dir, Recording(asked, answer: true)))
        {
            Assert.Equal([42L], asked);
            Assert.Equal([42L], journal.Recovery.CompletedTransactions);
            Assert.Empty(journal.Recovery.AbortedTransactions);
            Assert.Equal("recovered 1 segment, offsets [0, 7); the tail was whole; completed transactions 42", journal.Recovery.ToString());
            Assert.False(File.Exists(AbortedPath(dir)));

            // The marker is in the file and under the checkpoint before Open returns.
            Assert.Equal(before + MarkerFrame, new FileInfo(dir.SegmentPath(0)).Length);
            Assert.Equal(before + MarkerFrame, journal.Checkpoint.Position);
            Assert.Equal(7, journal.EndOffset);
            AssertReads(journal, transactionIsGap: false);
            journal.AbandonForTest();
        }

        asked.Clear();
        using PartitionJournal reopened = Open(dir, Recording(asked, answer: false));

        Assert.Empty(asked);
        Assert.Empty(reopened.Recovery.CompletedTransactions);
        Assert.Empty(reopened.Recovery.AbortedTransactions);
        AssertReads(reopened, transactionIsGap: false);
    }

    [Fact]
    public void Open_EndMarkerInTornTail_DecidesTheTransactionAgain()
    {
        using var dir = new JournalTestDirectory();
        PartitionJournal journal = Open(dir, null);
        journal.AppendTransactionEvents(0, JournalTestDirectory.Events(0, 2), 1, transaction: 3);
        journal.AppendTransactionEnd(3, 1);
        journal.Flush();
        journal.AbandonForTest();
        long length = new FileInfo(dir.SegmentPath(0)).Length;
        using (FileStream file = File.OpenWrite(dir.SegmentPath(0)))
        {
            file.SetLength(length - 10);
        }

        var asked = new List<long>();
        using PartitionJournal reopened = Open(dir, Recording(asked, answer: false));

        Assert.Equal([3L], asked);
        Assert.Equal(HeaderSize + TaggedFrame(2), reopened.Recovery.TruncatedAt);
        Assert.Equal([3L], reopened.Recovery.AbortedTransactions);
        Assert.Equal([new JournalRun(0, 2, true)], JournalTestDirectory.ReadAll(reopened).Runs);
    }

    [Fact]
    public void Open_AfterARecoveryWhoseAbortedLocalTransactionWasCutAway_ANewTransactionWithItsNumberReadsAsEvents()
    {
        // A transaction on one partition is numbered by its first offset, negated (-3 for offset 2). Recovery 1 aborts
        // one left open at offset 2 and forces the aborted file; a machine crash then takes the batch's bytes and the
        // checkpoint recovery 1 wrote. Recovery 2 finds the journal ending at 2: offset 2 is reused, and so is the number
        // -3, by a transaction that commits. It must read as events, not as the aborted one's gaps.
        using var dir = new JournalTestDirectory();
        PartitionJournal journal = Open(dir, null);
        journal.AppendEvents(0, JournalTestDirectory.Events(0, 2), 1);
        journal.Sync();
        journal.AbandonForTest();
        long cut = new FileInfo(dir.SegmentPath(0)).Length;
        string checkpoint = Path.Combine(dir.Partition, SegmentLayout.CheckpointFileName);
        byte[]? checkpointBefore = File.Exists(checkpoint) ? File.ReadAllBytes(checkpoint) : null;
        journal = Open(dir, null);
        journal.AppendTransactionEvents(2, JournalTestDirectory.Events(2, 2), 1, transaction: -3);
        journal.Flush();
        journal.AbandonForTest();

        using (PartitionJournal first = Open(dir, null))
        {
            Assert.Equal([-3L], first.Recovery.AbortedTransactions);
            first.AbandonForTest();
        }

        using (var file = new FileStream(dir.SegmentPath(0), FileMode.Open))
        {
            file.SetLength(cut);
        }

        if (checkpointBefore is null)
        {
            File.Delete(checkpoint);
        }
        else
        {
            File.WriteAllBytes(checkpoint, checkpointBefore);
        }

        using (PartitionJournal second = Open(dir, null))
        {
            Assert.Equal(2, second.EndOffset);
            second.AppendTransactionEvents(2, JournalTestDirectory.Events(2, 2), 2, transaction: -3);
            second.AppendTransactionEnd(-3, 2);
            second.Flush();
        }

        using PartitionJournal third = Open(dir, null);
        (List<byte[]?> entries, _) = JournalTestDirectory.ReadAll(third);
        Assert.True(entries.All(e => e is not null), $"offsets read as gaps: {string.Join(", ", entries.Select((e, o) => (e, o)).Where(x => x.e is null).Select(x => x.o))}");
        Assert.Equal(JournalTestDirectory.Events(0, 4), entries.SelectMany(e => e!).ToArray());
    }

    [Fact]
    public void HoldRoll_WhileSet_KeepsOneSegmentPastSegmentBytes_NextBatchRollsOnceReleased()
    {
        using var dir = new JournalTestDirectory();
        const long SegmentBytes = 256;

        // Control: the same appends without the hold roll the segment.
        using (var otherDir = new JournalTestDirectory())
        using (PartitionJournal control = Open(otherDir, null, SegmentBytes))
        {
            for (int i = 0; i < 6; i++)
            {
                control.AppendTransactionEvents(i * 2, JournalTestDirectory.Events(i * 2, 2), 1, transaction: 5);
            }

            Assert.True(control.SegmentCount > 1);
        }

        using PartitionJournal journal = Open(dir, null, SegmentBytes);
        journal.HoldRoll = true;
        for (int i = 0; i < 6; i++)
        {
            journal.AppendTransactionEvents(i * 2, JournalTestDirectory.Events(i * 2, 2), 1, transaction: 5);
        }

        journal.AppendTransactionEnd(5, 2);
        journal.Flush();
        Assert.Equal(1, journal.SegmentCount);
        Assert.True(journal.SizeBytes > SegmentBytes, $"{journal.SizeBytes} bytes should be past {SegmentBytes}");

        journal.HoldRoll = false;
        journal.AppendTransactionEnd(6, 3);
        Assert.Equal(1, journal.SegmentCount);
        journal.AppendEvents(12, JournalTestDirectory.Events(12, 1), 3);
        journal.Flush();

        Assert.Equal(2, journal.SegmentCount);
        Assert.True(File.Exists(dir.SegmentPath(12)));
        Assert.Equal(JournalTestDirectory.Events(0, 13), JournalTestDirectory.ReadAll(journal).Entries.SelectMany(e => e!).ToArray());
    }

    [Fact]
    public void OpenTransaction_RollsAtMostOnceUntilItsEndMarker_AndRecoveryFindsItInTheSegmentBeforeTheLast()
    {
        using var dir = new JournalTestDirectory();
        const long SegmentBytes = 256;
        using (PartitionJournal journal = Open(dir, null, SegmentBytes))
        {
            journal.AppendTransactionEvents(0, JournalTestDirectory.Events(0, 2), 1, transaction: 7);
            for (long offset = 2; offset < 40; offset += 2)
            {
                journal.AppendEvents(offset, JournalTestDirectory.Events(offset, 2), 1);
            }

            // One roll (transaction 7's batch is in the segment before the active one), then no more: far past the size.
            journal.Flush();
            Assert.Equal(2, journal.SegmentCount);
            journal.AppendTransactionEnd(7, 2);
            journal.AppendEvents(40, JournalTestDirectory.Events(40, 2), 2);
            Assert.Equal(3, journal.SegmentCount);

            // Transaction 8 opens in segment 3 and stays open across one roll: the crash comes before its end marker.
            journal.AppendTransactionEvents(42, JournalTestDirectory.Events(42, 2), 3, transaction: 8);
            for (long offset = 44; offset < 80; offset += 2)
            {
                journal.AppendEvents(offset, JournalTestDirectory.Events(offset, 2), 3);
            }

            Assert.Equal(4, journal.SegmentCount);
        }

        // Transaction 8's batch is in the segment before the last: the whole scan finds it, the log never committed it.
        using PartitionJournal reopened = Open(dir, isCommitted: _ => false, SegmentBytes);
        Assert.Equal([8L], reopened.Recovery.AbortedTransactions);
        byte[] buffer = new byte[64 * EventSize];
        Assert.Equal(new JournalRun(42, 2, IsGap: true), reopened.Read(42, buffer));
        Assert.False(reopened.Read(0, buffer).IsGap);
    }

    [Fact]
    public void Open_ClosedTransactionWhoseBatchEndsAnOlderSegment_IsNotDecidedAgain_ItsEventsStay()
    {
        // Transaction 7's batch is the last frame of segment 0, its end marker the second frame of segment 4, and two more
        // segments follow: recovery scans segments 0 and 4 only from their last index entry, so it sees the batch and not
        // the marker. The transaction was closed long before the crash (a transaction lacking its marker is always in the
        // last two segments), and the transaction log no longer holds its record (resolved, dropped at the next open): it
        // must not be decided again, where the log's "not committed" would turn an acknowledged transaction into gaps.
        using var dir = new JournalTestDirectory();
        const long SegmentBytes = 256;
        using (PartitionJournal journal = Open(dir, null, SegmentBytes, indexIntervalBytes: 1))
        {
            journal.AppendEvents(0, JournalTestDirectory.Events(0, 2), 1);
            journal.AppendTransactionEvents(2, JournalTestDirectory.Events(2, 2), 1, transaction: 7);
            journal.AppendEvents(4, JournalTestDirectory.Events(4, 2), 2);
            Assert.Equal(2, journal.SegmentCount);
            journal.AppendTransactionEnd(7, 2);
            long end = 6;
            while (journal.SegmentCount < 4)
            {
                journal.AppendEvents(end, JournalTestDirectory.Events(end, 2), 2);
                end += 2;
            }

            journal.Flush();
            Assert.True(File.Exists(dir.SegmentPath(4)), "the batch after the transaction's rolled to offset 4");
            Assert.True(JournalTestDirectory.ReadAll(journal).Entries.Count == end);
            journal.AbandonForTest();
        }

        var asked = new List<long>();
        using PartitionJournal reopened = Open(dir, Recording(asked, answer: false), SegmentBytes, indexIntervalBytes: 1);

        Assert.Empty(asked);
        Assert.Empty(reopened.Recovery.AbortedTransactions);
        Assert.Equal(4, reopened.SegmentCount);
        Assert.Equal(JournalTestDirectory.Events(0, (int)reopened.EndOffset), JournalTestDirectory.ReadAll(reopened).Entries.SelectMany(e => e!).ToArray());
    }

    [Fact]
    public void AppendTransactionEnd_OnlyMarkersPastSegmentBytes_NeverRolls()
    {
        using var dir = new JournalTestDirectory();
        using PartitionJournal journal = Open(dir, null, segmentBytes: 96);
        for (int i = 0; i < 4; i++)
        {
            journal.AppendTransactionEnd(i, 1);
        }

        // A batch does not roll a segment that holds no offset: the new segment would have the same base and file name.
        journal.AppendEvents(0, JournalTestDirectory.Events(0, 1), 2);
        journal.AppendEvents(1, JournalTestDirectory.Events(1, 1), 2);
        journal.Flush();

        Assert.Equal(2, journal.SegmentCount);
        Assert.True(File.Exists(dir.SegmentPath(1)));
        Assert.Equal(JournalTestDirectory.Events(0, 2), JournalTestDirectory.ReadAll(journal).Entries.SelectMany(e => e!).ToArray());
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("truncate")]
    [InlineData("count")]
    public void Open_DamagedAbortedFile_ThrowsCorruptionNamingIt(string damage)
    {
        using var dir = new JournalTestDirectory();
        WriteUnfinishedTransactionAndCrash(dir);
        Open(dir, null).Dispose();
        string path = AbortedPath(dir);
        byte[] bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case "flip":
                bytes[^1] ^= 0x40;
                break;
            case "truncate":
                bytes = bytes[..^3];
                break;
            default:
                // A whole frame whose count does not match its numbers.
                bytes[8] = 2;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), System.IO.Hashing.Crc32.HashToUInt32(bytes.AsSpan(8)));
                break;
        }

        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<JournalCorruptionException>(() => Open(dir, _ => true));

        Assert.Equal(path, ex.Path);
        Assert.Contains(path, ex.Message);
        Assert.Contains("aborted transactions", ex.Reason);
    }

    [Fact]
    public void Check_TransactionKinds_AcceptsRightLengthsAndRejectsWrongOnes()
    {
        const int Event = 16;
        Assert.Null(SegmentLayout.Check(new SegmentLayout.BatchHeader(SegmentLayout.KindTransactionEvents, 2, 5, 0), 32 + (2 * Event), Event, 5));
        Assert.Null(SegmentLayout.Check(new SegmentLayout.BatchHeader(SegmentLayout.KindTransactionEnd, 0, 5, 0), 32, Event, 5));

        Assert.StartsWith("a transaction end marker must have count 0, was 1", SegmentLayout.Check(new SegmentLayout.BatchHeader(SegmentLayout.KindTransactionEnd, 1, 5, 0), 32, Event, 5));
        Assert.StartsWith("a transaction end marker's body must be 32 bytes", SegmentLayout.Check(new SegmentLayout.BatchHeader(SegmentLayout.KindTransactionEnd, 0, 5, 0), 24, Event, 5));
        Assert.StartsWith("batch length does not match its count", SegmentLayout.Check(new SegmentLayout.BatchHeader(SegmentLayout.KindTransactionEvents, 2, 5, 0), 24 + (2 * Event), Event, 5));
        Assert.StartsWith("batch count must be at least 1, was 0", SegmentLayout.Check(new SegmentLayout.BatchHeader(SegmentLayout.KindTransactionEvents, 0, 5, 0), 32, Event, 5));
        Assert.StartsWith("offset out of order: expected 5, found 6", SegmentLayout.Check(new SegmentLayout.BatchHeader(SegmentLayout.KindTransactionEnd, 0, 6, 0), 32, Event, 5));
        Assert.StartsWith("unknown batch kind 5", SegmentLayout.Check(new SegmentLayout.BatchHeader(5, 1, 5, 0), 24, Event, 5));
        Assert.StartsWith("batch count must be at least 1, was 0", SegmentLayout.Check(new SegmentLayout.BatchHeader(SegmentLayout.KindGap, 0, 5, 0), 24, Event, 5));
    }

    [Fact]
    public void Open_MarkerFrameWithNonZeroCountAfterCheckpoint_TruncatesIt()
    {
        using var dir = new JournalTestDirectory();
        PartitionJournal journal = Open(dir, null);
        journal.AppendEvents(0, JournalTestDirectory.Events(0, 2), 1);
        journal.AppendTransactionEnd(1, 1);
        journal.Flush();
        journal.AbandonForTest();
        long markerAt = HeaderSize + 8 + 24 + (2 * EventSize);
        using (FileStream file = new(dir.SegmentPath(0), FileMode.Open, FileAccess.ReadWrite))
        {
            byte[] frame = new byte[MarkerFrame];
            file.Position = markerAt;
            file.ReadExactly(frame);
            frame[8 + 4] = 1;
            FrameLayout.Seal(frame);
            file.Position = markerAt;
            file.Write(frame);
        }

        using PartitionJournal reopened = Open(dir, null);

        Assert.Equal(markerAt, reopened.Recovery.TruncatedAt);
        Assert.StartsWith("a transaction end marker must have count 0", reopened.Recovery.TruncationReason);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4096)]
    public void Read_AtOffsetsAfterMarkers_FindsTheBatchThroughIndexAndFrames(int interval)
    {
        using var dir = new JournalTestDirectory();
        const long SegmentBytes = 300;
        using (PartitionJournal journal = Open(dir, null, SegmentBytes, interval))
        {
            // A marker as the segment's first frame (indexed), then a batch at the same offset (not indexed).
            journal.AppendTransactionEnd(99, 1);
            journal.AppendEvents(0, JournalTestDirectory.Events(0, 2), 1);
            long offset = 2;
            for (int i = 0; i < 12; i++)
            {
                journal.HoldRoll = true;
                journal.AppendTransactionEvents(offset, JournalTestDirectory.Events(offset, 2), 2, transaction: 100 + i);
                journal.AppendTransactionEnd(100 + i, 2);
                journal.AppendTransactionEnd(500 + i, 2);
                journal.HoldRoll = false;
                journal.AppendEvents(offset + 2, JournalTestDirectory.Events(offset + 2, 1), 3);
                offset += 3;
            }

            journal.Flush();
            Assert.True(journal.SegmentCount > 2, $"{journal.SegmentCount} segments");
            AssertEveryOffsetReads(journal, offset, interval);
        }

        using PartitionJournal reopened = Open(dir, _ => throw new InvalidOperationException("no transaction is open"), SegmentBytes, interval);
        Assert.Equal(0, reopened.Recovery.IndexesRebuilt);
        AssertEveryOffsetReads(reopened, reopened.EndOffset, interval);
    }

    private static void AssertEveryOffsetReads(PartitionJournal journal, long end, int interval)
    {
        byte[] one = new byte[EventSize];
        for (long offset = 0; offset < end; offset++)
        {
            long before = journal.FramesScanned;
            Assert.Equal(new JournalRun(offset, 1, false), journal.Read(offset, one));
            Assert.Equal(JournalTestDirectory.Events(offset, 1), one);
            if (interval == 1)
            {
                // Every batch but the one after the first marker has an entry; each read scans at most the frames
                // from its entry: one, or two after a marker.
                Assert.True(journal.FramesScanned - before <= 2, $"offset {offset}: scanned {journal.FramesScanned - before} frames");
            }
        }
    }
}
